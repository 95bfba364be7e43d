# ocpp-cable: one image for every role (gateway, rpc, migrate, up, admin commands).
# The generated gRPC code is committed in ocpp_cable/contract/pb, so there is no codegen step.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY . /src
# Runtime dependencies only: no `[test]` extras.
RUN /opt/venv/bin/pip install /src

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
COPY --from=build /opt/venv /opt/venv
# A non-root user; /app is its writable working directory (SQLite's default
# ocpp_cable.db lands here when no database URL is given).
RUN groupadd --system --gid 10001 ocpp \
    && useradd --system --uid 10001 --gid ocpp --home-dir /app --create-home ocpp
WORKDIR /app
USER ocpp:ocpp

# 9000 chargers' WebSockets, 9001 gateway HTTP (/_broadcast, /health, /metrics),
# 50051 RPC (rpc_app), 9002 rpc_app metrics, 9080 the HTTP API and dashboard.
EXPOSE 9000 9001 50051 9002 9080

ENTRYPOINT ["ocpp-cable"]
CMD ["--help"]
