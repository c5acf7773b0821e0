"""Test sentences per language (none of them used to tune an engine's settings by hand)."""

EN = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Please call Stella and ask her to bring these things with her from the store.",
    "We will meet tomorrow morning at the station before the train leaves for London.",
    "She sells sea shells by the sea shore every summer afternoon.",
    "A large number of people gathered in the square to hear the announcement.",
    "My brother forgot his umbrella at the restaurant last night.",
    "The committee will publish its final report early next year.",
    "Turn left at the second traffic light and the museum is on your right.",
]
DE = [
    "Guten Morgen, wie geht es Ihnen heute? Ich hoffe, das Wetter bleibt schön.",
    "Der schnelle braune Fuchs springt über den faulen Hund am Flussufer.",
    "Wir treffen uns morgen früh am Bahnhof, bevor der Zug nach Berlin abfährt.",
    "Meine Schwester hat ihren Regenschirm gestern im Restaurant vergessen.",
    "Die Kinder spielen im Garten, während die Eltern das Abendessen kochen.",
]
ZH = [
    "今天天气很好我们去公园散步吧",
    "我明天早上要去火车站接我的朋友",
    "这本书非常有意思我已经读了两遍",
    "请你把窗户关上外面太冷了",
    "他在北京大学学习中文和历史",
]
FR = [
    "Bonjour, comment allez-vous aujourd'hui? J'espère que le temps restera beau.",
    "Nous nous retrouverons demain matin à la gare avant le départ du train.",
]
ES = [
    "Buenos días, ¿cómo está usted hoy? Espero que el tiempo siga bueno.",
    "Nos vemos mañana por la mañana en la estación antes de que salga el tren.",
]

BY_LANGUAGE = {"en": EN, "de": DE, "zh": ZH, "fr": FR, "es": ES}
