# seedgate's image: the static, pure-Go binary (goolm, modernc SQLite) and the CA certificates,
# nothing else: no shell, no package manager, nothing to patch. The first-run flow is in the
# binary (`seedgate container`), and so is the health check (`seedgate health`).
#
# Build: make image (buildah; IMAGE_BUILDER=docker for docker). It prepares the build context
# (.cache/image: the binary, ca-certificates.crt, an empty data directory) and builds this file
# there; UID and GID are build arguments (make image IMAGE_UID=1000 IMAGE_GID=1000).
# Run:   docker run --rm -v seedgate-data:/data -p 29340:29340 seedgate:dev
#        (the first runs write /data/config.yaml, then /data/registration.yaml, and exit
#        saying what to do next; then it runs)
FROM scratch
ARG UID=1337
ARG GID=1337
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY seedgate /seedgate
# rootfs/ holds data/ (0700): copied as an entry, the directory keeps its mode.
COPY --chown=${UID}:${GID} rootfs/ /
USER ${UID}:${GID}
WORKDIR /data
VOLUME /data
ENV SEEDGATE_DATA=/data
EXPOSE 29340
# The health check dials the appservice listener the config names.
HEALTHCHECK --interval=30s --timeout=5s CMD ["/seedgate", "health", "-c", "/data/config.yaml"]
ENTRYPOINT ["/seedgate", "container"]
