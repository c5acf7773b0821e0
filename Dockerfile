# The voxgraph API (TypeScript run directly by Node 24's type stripping) and the web app it serves
# at / (built by Vite in the first stage). ffmpeg/ffprobe are needed at runtime: uploads are
# probed and test-decoded before they are stored.
FROM node:24-bookworm-slim AS web
WORKDIR /build
COPY package.json package-lock.json ./
COPY sdk/package.json sdk/
COPY web/package.json web/
RUN npm ci
COPY sdk ./sdk
COPY web ./web
COPY tsconfig.json ./
RUN npm run web:build

FROM node:24-bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
COPY sdk/package.json sdk/
COPY web/package.json web/
# Runtime dependencies only: the devDependencies are typescript, type packages and a Node binary.
RUN npm ci --omit=dev && npm cache clean --force

COPY src ./src
COPY protocol ./protocol
COPY migrations ./migrations
COPY schema ./schema
COPY --from=web /build/web/dist ./web/dist

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    WORKERS=0 \
    DATA_DIR=/data
EXPOSE 4000
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4000/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--max-semi-space-size=2", "src/main.ts"]
