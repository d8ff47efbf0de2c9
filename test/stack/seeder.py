# A BitTorrent seeder for tests: python3-libtorrent on 127.0.0.1, DHT/LSD/UPnP/NAT-PMP off.
# Usage: seeder.py SAVE_DIR TORRENT_FILE... ; prints "PORT <n>" once listening and seeds until
# stdin closes. A line "stats" on stdin prints "STATS <hash> <payload bytes uploaded> <peers>"
# for each torrent, then "END"; "connect <hash> <port>" dials a peer on 127.0.0.1 (Transmission
# never dials 127.x peers a tracker hands it), then prints "END".
import sys
import libtorrent as lt

session = lt.session({
    "listen_interfaces": "127.0.0.1:0",
    "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
    "allow_multiple_connections_per_ip": True, "alert_mask": 0,
})
handles = []
for path in sys.argv[2:]:
    info = lt.torrent_info(path)
    handles.append(session.add_torrent({"ti": info, "save_path": sys.argv[1], "flags": lt.torrent_flags.seed_mode}))
print("PORT %d" % session.listen_port(), flush=True)
for line in sys.stdin:
    words = line.split()
    if words == ["stats"]:
        for h in handles:
            st = h.status()
            print("STATS %s %d %d" % (st.info_hashes.v1, st.all_time_upload, st.num_peers), flush=True)
    elif len(words) == 3 and words[0] == "connect":
        for h in handles:
            if str(h.status().info_hashes.v1) == words[1]:
                h.connect_peer(("127.0.0.1", int(words[2])))
    print("END", flush=True)
