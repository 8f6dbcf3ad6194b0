# syntax=docker/dockerfile:1
#
# One image for the project's Node services. docker-compose.yml runs it three times with a different
# command, each exactly what `npm run stack` runs (scripts/stack/node-service.ts):
#   node --import tsx gateway/main.ts | timescale/connector/main.ts | exporter/main.ts
# The TypeScript is run by tsx, as in the tests, rather than compiled to other JavaScript: the image
# runs the code the tests ran. Build context: the repository root (see .dockerignore, an allowlist).

ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Production dependencies only, exactly as locked (no install scripts: none of them needs one).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# 2. tsx is a devDependency, so `--omit=dev` leaves it out; it gets its own tree, merged in below.
#    TSX_VERSION must equal package-lock.json's (scripts/compose/compose.test.ts checks).
FROM ${NODE_IMAGE} AS tsx
ARG TSX_VERSION=4.23.15
WORKDIR /tsx
RUN npm install --no-save --no-package-lock --ignore-scripts --no-audit --no-fund "tsx@${TSX_VERSION}"

# 3. Runtime: the dependency trees and the services' sources, owned by root and read-only to the
#    unprivileged `node` user (uid 1000) that runs them.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=tsx /tsx/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY contracts ./contracts
COPY gateway ./gateway
COPY timescale ./timescale
COPY exporter ./exporter
COPY docker/healthcheck.mjs ./docker/healthcheck.mjs
USER node
# No CMD of its own: each Compose service names its entry point.
CMD ["node", "-e", "console.error('give a command: node --import tsx <gateway/main.ts | timescale/connector/main.ts | exporter/main.ts>'); process.exit(2)"]
