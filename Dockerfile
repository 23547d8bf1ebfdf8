# syntax=docker/dockerfile:1

# Pigeon: every process (web, SMTP, relay, IMAP, POP3) in one image; `npm start` runs them all.
#   docker build -t pigeon .
#   docker compose up -d          (see docker-compose.yml)

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: install every dependency from the lockfile, generate Prisma's client, build Next ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1 \
    CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1

# The postinstall script runs `prisma generate`, so the schema comes in with the manifests.
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund

COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf .next/cache

# --- runtime ---
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM to npm (which forwards it to the workers) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV NODE_ENV=production \
    BIND_ADDRESS=0.0.0.0 \
    NEXT_TELEMETRY_DISABLED=1 \
    DATA_DIR=/data \
    SMTP_PORT=25 \
    SUBMISSION_PORT=587 \
    SMTPS_PORT=465 \
    IMAP_PORT=143 \
    IMAPS_PORT=993 \
    POP3_PORT=110 \
    POP3S_PORT=995 \
    WEB_PORT=3000

# Code is root-owned and read-only to the app; only .next (Next's runtime cache) and /data are
# writable by the `node` user (uid 1000) the processes run as.
COPY --from=build /app /app
RUN mkdir -p /data /app/.next/cache \
 && chown -R node:node /data /app/.next

# Ports below 1024 as a non-root user: Docker (20.10+) sets the namespaced sysctl
# net.ipv4.ip_unprivileged_port_start=0 in every container with its own network namespace, and
# docker-compose.yml sets it explicitly. With `network_mode: host` or a runtime that does not
# (CRI-O, older kernels), either set that sysctl or override the *_PORT variables with ports
# >= 1024 and map them, e.g. -p 25:2525.
USER node
VOLUME ["/data"]
EXPOSE 25 465 587 143 993 110 995 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.WEB_PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["npm", "start"]
