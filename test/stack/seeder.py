# A BitTorrent seeder for tests: python3-libtorrent on 127.0.0.1, DHT/LSD/UPnP/NAT-PMP off.
# Usage: seeder.py TORRENT_FILE SAVE_DIR ; prints "PORT <n>" once listening, seeds until stdin closes.
import sys
import libtorrent as lt

info = lt.torrent_info(sys.argv[1])
session = lt.session({
    "listen_interfaces": "127.0.0.1:0",
    "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
    "allow_multiple_connections_per_ip": True, "alert_mask": 0,
})
session.add_torrent({"ti": info, "save_path": sys.argv[2], "flags": lt.torrent_flags.seed_mode})
print("PORT %d" % session.listen_port(), flush=True)
sys.stdin.read()
