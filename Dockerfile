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
# To switch: FROM gcr.io/distroless/nodejs24-debian12 and
# ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli/main.js"].
FROM node:24-bookworm-slim
ENV NODE_ENV=production
# glibc's malloc, not jemalloc: jemalloc measured ~10 MiB less RSS under load (npm run bench
# -- --allocator jemalloc), but under a stream of multi-megabyte hostile bodies it kept more
# memory than glibc and the webhook was OOM-killed at the 256Mi limit in 3 of 8 runs of
# npm run bench:hostile (README "Measured").
# glibc with a fixed 32 KiB mmap threshold: V8's compile jobs allocate megabytes in 32 KiB
# segments on worker threads, and with the default (a threshold that rises to the largest mapped
# block freed) glibc's per-thread arenas kept them after use; with it, freed blocks of 32 KiB or more
# go back to the kernel at once. npm run bench measures with the same setting
# (bench/image-runtime.ts imageEnvironment).
ENV GLIBC_TUNABLES=glibc.malloc.mmap_threshold=32768
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
# time in GC. npm run bench measures with the same flag (bench/image-runtime.ts).
ENTRYPOINT ["node", "--max-semi-space-size=8", "/app/dist/cli/main.js"]
CMD ["serve"]
