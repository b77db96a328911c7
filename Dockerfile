# wirewatch: one image for every service (a per-service split comes with the deploy work).
FROM python:3.11.7-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY proto ./proto
COPY services ./services
RUN python -m venv /opt/wirewatch \
 && /opt/wirewatch/bin/pip install --no-cache-dir .

FROM python:3.11.7-slim-bookworm
RUN useradd --create-home --uid 10001 wirewatch
COPY --from=build /opt/wirewatch /opt/wirewatch
ENV PATH=/opt/wirewatch/bin:$PATH \
    WIREWATCH_DATA_DIR=/var/lib/wirewatch \
    WIREWATCH_LOG_FORMAT=json
RUN mkdir -p /var/lib/wirewatch && chown wirewatch /var/lib/wirewatch
USER wirewatch
WORKDIR /home/wirewatch
ENTRYPOINT ["wirewatch"]
CMD ["--help"]
