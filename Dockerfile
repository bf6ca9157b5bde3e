# syntax=docker/dockerfile:1
# Two stages: the build (dev dependencies, TypeScript) and the runtime (production dependencies,
# compiled code, the example models), which runs as the unprivileged `node` user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# onnxruntime-node's install script downloads CUDA files the CPU build does not use.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ormconfig.ts ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production ONNXRUNTIME_NODE_INSTALL=skip HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY models ./models
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# Ready = the database answers (GET /health/ready); Node's fetch, so the image needs no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
