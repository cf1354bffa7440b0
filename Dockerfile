# One image for the manager and the per-node worker: `eraser` on PATH (worker pods run it as
# their command), the compiled code under /app (the manager Deployment runs dist/cli/entry.js).
# No Docker engine runs on the machines this project is developed on, so this file is not built
# by CI; `kubectl kustomize deploy/` renders the manifests that use it.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-assets.mjs scripts/
COPY src src
COPY bin bin
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/bin bin
RUN ln -s /app/bin/eraser.js /usr/local/bin/eraser
USER 65532:65532
ENTRYPOINT ["eraser"]
