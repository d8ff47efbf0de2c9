// An independent Matrix approver built on matrix-js-sdk with its Rust crypto (the stack Element
// uses). The Go end-to-end tests and `make demo` drive it:
//
//   node approver.mjs --homeserver URL --user NAME --password PW
//
// It prints one JSON object per line on stdout (ready, joined, message, result, error) and takes
// one JSON command per line on stdin: react, reply, quit. Whoever drives it decides how to vote.
import { parseArgs } from "node:util";
import readline from "node:readline";
import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";
import { EventShieldColour, EventShieldReason } from "matrix-js-sdk/lib/crypto-api/index.js";

logger.setLevel("silent");

const { values: opts } = parseArgs({
  options: {
    homeserver: { type: "string" },
    user: { type: "string" },
    password: { type: "string" },
  },
});
for (const key of ["homeserver", "user", "password"]) {
  if (!opts[key]) {
    console.error(`approver: --${key} is required`);
    process.exit(2);
  }
}

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

const login = await sdk.createClient({ baseUrl: opts.homeserver }).loginRequest({
  type: "m.login.password",
  identifier: { type: "m.id.user", user: opts.user },
  password: opts.password,
  initial_device_display_name: "seedgate test approver",
});
const client = sdk.createClient({
  baseUrl: opts.homeserver,
  userId: login.user_id,
  accessToken: login.access_token,
  deviceId: login.device_id,
});
await client.initRustCrypto({ useIndexedDB: false });

client.on(sdk.RoomMemberEvent.Membership, async (event, member) => {
  if (member.userId === login.user_id && member.membership === "invite") {
    try {
      await client.joinRoom(member.roomId);
      emit({ type: "joined", room_id: member.roomId });
    } catch (err) {
      emit({ type: "error", message: `join ${member.roomId}: ${err.message}` });
    }
  }
});

const seen = new Set();

client.on(sdk.RoomEvent.Timeline, async (event, room, toStartOfTimeline) => {
  if (toStartOfTimeline || seen.has(event.getId())) return;
  seen.add(event.getId());
  await client.decryptEventIfNeeded(event);
  if (event.getType() !== "m.room.message") return;
  const content = event.getContent();
  // The shield Element would draw beside the event: NONE, or GREY/RED with a reason such as
  // UNSIGNED_DEVICE (the sender's device is not cross-signed by its owner).
  let shield = null;
  if (event.isEncrypted()) {
    const info = await client.getCrypto().getEncryptionInfoForEvent(event);
    if (info) shield = { colour: EventShieldColour[info.shieldColour], reason: info.shieldReason === null ? null : EventShieldReason[info.shieldReason] };
  }
  emit({
    type: "message",
    room_id: event.getRoomId(),
    event_id: event.getId(),
    sender: event.getSender(),
    wire_type: event.getWireType(),
    decrypted: event.isEncrypted() && !event.isDecryptionFailure(),
    shield,
    content,
  });
});

async function react(roomId, eventId, key) {
  const res = await client.sendEvent(roomId, "m.reaction", {
    "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key },
  });
  return res.event_id;
}

async function handle(cmd) {
  switch (cmd.cmd) {
    case "react":
      return { event_id: await react(cmd.room_id, cmd.event_id, cmd.key) };
    case "reply": {
      const content = { msgtype: "m.text", body: cmd.body };
      if (cmd.event_id) content["m.relates_to"] = { rel_type: "m.thread", event_id: cmd.event_id, is_falling_back: true, "m.in_reply_to": { event_id: cmd.event_id } };
      const res = await client.sendEvent(cmd.room_id, "m.room.message", content);
      return { event_id: res.event_id };
    }
    case "cross_sign": {
      // Set up cross-signing as Element does on first login: the device gets signed by the
      // user's new self-signing key. Uploading the keys asks for the account password.
      await client.getCrypto().bootstrapCrossSigning({
        setupNewCrossSigning: true,
        authUploadDeviceSigningKeys: async (makeRequest) => {
          await makeRequest({ type: "m.login.password", identifier: { type: "m.id.user", user: opts.user }, password: opts.password });
        },
      });
      // The signature upload goes out through the crypto machine's request loop: wait for it.
      for (let i = 0; i < 100; i++) {
        const status = await client.getCrypto().getDeviceVerificationStatus(login.user_id, login.device_id);
        if (status?.signedByOwner) return { signed_by_owner: true, ready: await client.getCrypto().isCrossSigningReady() };
        await new Promise((r) => setTimeout(r, 100));
      }
      return { signed_by_owner: false, ready: await client.getCrypto().isCrossSigningReady() };
    }
    case "redact": {
      const res = await client.redactEvent(cmd.room_id, cmd.event_id);
      return { event_id: res.event_id };
    }
    case "quit":
      client.stopClient();
      process.exit(0);
    default:
      throw new Error(`unknown command ${cmd.cmd}`);
  }
}

readline.createInterface({ input: process.stdin }).on("line", async (line) => {
  let cmd;
  try {
    cmd = JSON.parse(line);
    const result = await handle(cmd);
    emit({ type: "result", id: cmd.id, ...result });
  } catch (err) {
    emit({ type: "result", id: cmd?.id, error: err.message });
  }
});

client.once(sdk.ClientEvent.Sync, (state) => {
  emit({ type: "ready", user_id: login.user_id, device_id: login.device_id, sync: state });
});
await client.startClient({ initialSyncLimit: 10 });
