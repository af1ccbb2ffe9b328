# syntax=docker/dockerfile:1
# netpol-hygiene: multi-stage build, Node 24 runtime, non-root.
#   docker build -t netpol-hygiene:latest .

# ---- build: compile TypeScript, then drop dev dependencies ---------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Full install: tsc and @types/node are devDependencies. devDependencies also include the
# npm package `node` (a Node binary, installed by its preinstall script). That is harmless
# here: `npm run` puts node_modules/.bin first on PATH, so the build runs under that
# node 24.x instead of the image's node 24.x, same major either way.
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc emits dist/ (src/cli/main.ts -> dist/cli/main.js). `npm prune --omit=dev` then
# removes every devDependency, the `node` package and its node_modules/.bin/node included:
# the runtime image must run only its own /usr/local/bin/node, and carries no compiler or
# test tooling. (Equivalent: a fresh `npm ci --omit=dev` in a separate stage, which never
# installs `node` at all; pruning reuses the install above.)
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime ---------------------------------------------------------------------------
# node:24-bookworm-slim rather than gcr.io/distroless/nodejs24-debian12: a shell-less,
# package-manager-less image would be nicer (less to exploit, fewer CVE reports), but slim
# keeps `kubectl exec` debugging and ordinary tooling. The pod makes the difference small:
# non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp.
# To switch: FROM gcr.io/distroless/nodejs24-debian12, ENTRYPOINT ["/nodejs/bin/node", ...],
# and, with no apt-get there, COPY libjemalloc.so.2 from a Debian 12 stage that installed it.
FROM node:24-bookworm-slim
ENV NODE_ENV=production
# jemalloc as node's malloc. glibc's malloc keeps, for the life of the process, the memory V8's
# compiler threads allocate and free while optimising hot code; jemalloc hands it back. Measured
# with npm run bench (README "Measured"): RSS under load ~10 MiB lower, and the webhook no
# slower. The library is linked to one path whatever the architecture (dpkg says where Debian
# put it), and the build fails if it is missing rather than ship without it. LD_PRELOAD also
# reaches `kubectl exec` shells and the config reader serve forks; both run fine on it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libjemalloc2 \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s "$(dpkg -L libjemalloc2 | grep '/libjemalloc\.so\.2$')" /usr/local/lib/libjemalloc.so.2 \
 && test -e /usr/local/lib/libjemalloc.so.2
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# Built-in defaults; the Deployment mounts the real config at /etc/netpol-hygiene/config.
COPY config ./config
# Numeric, so runAsNonRoot can verify it without an /etc/passwd lookup. Matches the
# Deployment's runAsUser/runAsGroup. Files stay root-owned: the process cannot modify them.
USER 10001:10001
EXPOSE 8443
# 8 MiB semi-spaces (V8's young generation): sized from the pod's 256Mi limit it would be 1 MiB,
# and a webhook that parses a ~10 KB AdmissionReview per request then spends a third of its
# time in GC. npm run bench measures with the same flag and allocator (bench/image-runtime.ts).
ENTRYPOINT ["node", "--max-semi-space-size=8", "/app/dist/cli/main.js"]
CMD ["serve"]
