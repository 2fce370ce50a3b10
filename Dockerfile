# syntax=docker/dockerfile:1
# Multi-stage build: compile and bundle with dev dependencies, ship only runtime dependencies.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY scripts ./scripts
COPY packages ./packages
COPY test ./test
RUN npm ci --no-audit --no-fund

FROM node:20.20.2-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/package.json
COPY packages/token/package.json packages/token/package.json
COPY packages/sts-emulator/package.json packages/sts-emulator/package.json
COPY packages/mapping/package.json packages/mapping/package.json
COPY packages/server/package.json packages/server/package.json
COPY packages/cli/package.json packages/cli/package.json
# --ignore-scripts: the build already happened in the first stage (prepare would need dev dependencies).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/packages/core/dist packages/core/dist
COPY --from=build /src/packages/token/dist packages/token/dist
COPY --from=build /src/packages/sts-emulator/dist packages/sts-emulator/dist
COPY --from=build /src/packages/mapping/dist packages/mapping/dist
COPY --from=build /src/packages/server/dist packages/server/dist
COPY --from=build /src/packages/cli/dist packages/cli/dist
COPY --from=build /src/packages/cli/bundle packages/cli/bundle
COPY packages/cli/bin packages/cli/bin
# Non-root, matching runAsUser in deploy/daemonset.yaml.
RUN groupadd --system --gid 10000 authenticator && useradd --system --uid 10000 --gid 10000 --no-create-home authenticator
USER 10000:10000
EXPOSE 21362 21363
ENTRYPOINT ["node", "/app/packages/cli/bin/iam-authenticator.js"]
CMD ["server", "--config=/etc/aws-iam-authenticator/config.yaml"]
