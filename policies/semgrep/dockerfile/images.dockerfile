# ruleid: dockerfile-latest-base-image
FROM python:latest AS build
# ruleid: dockerfile-latest-base-image
FROM ubuntu
# ok: dockerfile-latest-base-image
FROM python:3.12-slim
# ok: dockerfile-latest-base-image
FROM alpine@sha256:0a4eaa0eecf5f8c050e5bba433f58c052be7587ee8af3e8b3910ef9ab5fbe9f5

# ruleid: dockerfile-curl-pipe-shell
RUN curl -fsSL https://get.example.com/install.sh | sh
# ok: dockerfile-curl-pipe-shell
RUN curl -fsSLo /tmp/install.sh https://get.example.com/install.sh && sha256sum -c /tmp/install.sha256

# ruleid: dockerfile-secret-in-env
ENV DB_PASSWORD=Sup3rS3cretValue
# ok: dockerfile-secret-in-env
ENV DB_PASSWORD_FILE=/run/secrets/db
# ok: dockerfile-secret-in-env
ARG API_TOKEN=${API_TOKEN}

# ruleid: dockerfile-user-root
USER root
# ok: dockerfile-user-root
USER 10001
