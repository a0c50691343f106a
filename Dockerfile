# The sgeventd container image: the Debian package on Debian bookworm, run as the sgeventd user. It holds
# no compiler. The build context is the folder holding the .deb that `make package` writes:
#
#   make package
#   docker build -f Dockerfile -t sgeventd build-package
#   podman build --format docker -f Dockerfile -t sgeventd build-package   (OCI images have no HEALTHCHECK)
#
# BASE picks the Debian bookworm image to start from (`make package-test` passes a locally imported
# debootstrap root, so no registry is needed).
ARG BASE=debian:bookworm-slim
FROM ${BASE}

# A fixed uid/gid, so bind-mounted host folders can be given to it (chown 990:990 DIR).
ARG SGEVENTD_UID=990
COPY sgeventd_*.deb /tmp/
RUN set -eux; \
    groupadd --system --gid "${SGEVENTD_UID}" sgeventd; \
    useradd --system --uid "${SGEVENTD_UID}" --gid sgeventd --home-dir /var/lib/sgeventd --no-create-home \
      --shell /usr/sbin/nologin --comment "sgeventd event daemon" sgeventd; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      /tmp/sgeventd_*.deb ca-certificates tini; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/* /tmp/sgeventd_*.deb; \
    for cc in cc gcc g++ c++ clang; do if command -v "$cc"; then echo "a compiler is in the image: $cc"; exit 1; fi; done; \
    sgeventd --version

# Configuration through the environment: the packaged /etc/sgeventd/shotgunEventDaemon.conf reads the site
# and the script from SG_ED_SITE_URL, SG_ED_SCRIPT_NAME and SG_ED_API_KEY (docker run -e, or --env-file
# with the format of /etc/default/sgeventd). SGEVENTD_CONFIG names another config file, e.g. one in the
# /etc/sgeventd volume.
ENV SGEVENTD_CONFIG=/etc/sgeventd/shotgunEventDaemon.conf \
    SG_ED_SCRIPT_NAME=sgeventd

# The config folder, the plugins (*.py and *.so side by side), the state database and the logs. The
# daemon also logs to stderr (docker logs).
VOLUME ["/etc/sgeventd", "/etc/sgeventd/plugins.d", "/var/lib/sgeventd", "/var/log/sgeventd"]

USER sgeventd
WORKDIR /var/lib/sgeventd

# Healthy while a daemon holds the state database of the config (exit 0); `sgeventd status` exits 3
# when none does.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 CMD ["sgeventd", "status"]

# tini reaps what plugins start and passes SIGTERM (a stop drains the plugins, up to shutdown_timeout,
# 30 s by default: give `docker stop` --time 40 or more), SIGHUP (plugin reload) and SIGUSR1 (reopen logs).
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["sgeventd", "foreground"]

LABEL org.opencontainers.image.title="sgeventd" \
      org.opencontainers.image.description="Event daemon for ShotGrid / Flow Production Tracking, a drop-in replacement for shotgunEvents"
