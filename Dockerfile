# Sticky Calls: a multi-stage build. The final image holds the binary alone on
# Debian's slim base (no compiler, no shell tools beyond the base), runs as a non-root
# user, and keeps its SQLite data in /data unless STICKYCALLS_DATABASE_URL names
# PostgreSQL.
#   docker build -t stickycalls .
#   docker run -p 8080:8080 -v stickycalls-data:/data stickycalls

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p stickycalls \
 && strip target/release/stickycalls

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin stickycalls \
 && mkdir -p /data && chown stickycalls /data
COPY --from=build /src/target/release/stickycalls /usr/local/bin/stickycalls
USER stickycalls
WORKDIR /data
ENV STICKYCALLS_LISTEN=0.0.0.0:8080 \
    STICKYCALLS_DATABASE_URL=sqlite:///data/stickycalls.db \
    STICKYCALLS_LOG_FORMAT=json
EXPOSE 8080
VOLUME ["/data"]
ENTRYPOINT ["stickycalls"]
CMD ["serve"]
