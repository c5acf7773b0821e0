"""Test sentences for the espeak languages that sentences.py does not cover (it, pt, ru, ja, ko, yue),
and ALL: every language with sentences. Kept apart so sentences.BY_LANGUAGE stays as it is."""

from voxgraph_eval.sentences import BY_LANGUAGE

IT = [
    "Domani mattina ci vediamo alla stazione prima che parta il treno.",
    "Mia sorella ha dimenticato l'ombrello al ristorante ieri sera.",
]
PT = [
    "Amanhã de manhã encontramo-nos na estação antes de o comboio partir.",
    "A minha irmã esqueceu o guarda-chuva no restaurante ontem à noite.",
]
RU = [
    "Завтра утром мы встретимся на вокзале до отхода поезда.",
    "Моя сестра вчера забыла зонтик в ресторане.",
]
JA = [
    "きょうはとてもいいてんきですね",
    "あしたのあさえきでともだちにあいます",
]
KO = [
    "오늘은 날씨가 아주 좋습니다",
    "내일 아침에 역에서 친구를 만납니다",
]
YUE = [
    "今日天氣好好我哋去公園行吓啦",
    "我聽日朝早要去火車站接朋友",
]

ALL = {**BY_LANGUAGE, "it": IT, "pt": PT, "ru": RU, "ja": JA, "ko": KO, "yue": YUE}
