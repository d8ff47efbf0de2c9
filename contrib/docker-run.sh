#!/bin/sh
# First-run flow for the container (and anyone who wants it): write the config, then the
# registration, each time stopping to say what to do next; run seedgate once both exist.
set -eu
DATA_DIR="${SEEDGATE_DATA:-/data}"
cd "$DATA_DIR"
umask 077

if [ ! -f config.yaml ]; then
  seedgate -e config.yaml >/dev/null
  # Inside a container the homeserver reaches seedgate from outside: listen on every interface.
  sed -i 's|^  listen: 127.0.0.1:29340|  listen: 0.0.0.0:29340|' config.yaml
  cat <<MSG
seedgate: wrote $DATA_DIR/config.yaml.
Edit it: homeserver.address and domain, appservice.public_url (how your homeserver reaches this
container, e.g. http://seedgate:29340), your approvers, and your torrent clients.
Then start the container again to generate the appservice registration.
MSG
  exit 0
fi

if [ ! -f registration.yaml ]; then
  seedgate -g -c config.yaml -r registration.yaml >/dev/null
  cat <<MSG
seedgate: wrote $DATA_DIR/registration.yaml.
Give it to your homeserver (Synapse: app_service_config_files; Dendrite:
app_service_api.config_files), restart the homeserver, then start this container again.
Check the setup any time with: seedgate doctor -c $DATA_DIR/config.yaml
MSG
  exit 0
fi

exec seedgate -c config.yaml "$@"
