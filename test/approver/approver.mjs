// An independent Matrix approver built on matrix-js-sdk with its Rust crypto (the stack Element
// uses). The Go end-to-end tests and `make demo` drive it:
//
//   node approver.mjs --homeserver URL --user NAME --password PW
//
// It prints one JSON object per line on stdout (ready, joined, message, result, error) and takes
// one JSON command per line on stdin: react, reply, cross_sign, redact, raw_event, verify,
// verified, quit. Whoever drives it decides how to vote. Verification requests from others are
// accepted, and their emoji confirmed once they match the ones the bot shows in the DM, as a
// person who compared them would.
import { parseArgs } from "node:util";
import readline from "node:readline";
import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";
import {
  CryptoEvent,
  EventShieldColour,
  EventShieldReason,
  VerificationPhase,
  VerificationRequestEvent,
  VerifierEvent,
} from "matrix-js-sdk/lib/crypto-api/index.js";

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
      const direct = member.events.member?.getContent().is_direct === true;
      await client.joinRoom(member.roomId);
      emit({ type: "joined", room_id: member.roomId, direct });
    } catch (err) {
      emit({ type: "error", message: `join ${member.roomId}: ${err.message}` });
    }
  }
});

const seen = new Set();
// Events that failed to decrypt, printed again once their key arrives, as Element redraws them.
const undecrypted = new Set();
const seenUndecryptable = new Set();

// A sync that left events out (a "limited" timeline: after a homeserver restart the first sync
// can carry dozens of the bot's events, and Synapse sends at most 10) resets the room's
// timeline; Element then pages back through the gap, and so does this client. Events paged in
// arrive at the start of the timeline; the ones not seen yet are printed like live ones.
client.on(sdk.RoomEvent.TimelineReset, (room) => {
  if (room) client.scrollback(room, 100).catch((err) => emit({ type: "error", message: `scrollback: ${err.message}` }));
});

client.on(sdk.RoomEvent.Timeline, async (event, room, toStartOfTimeline) => {
  if (seen.has(event.getId())) return;
  seen.add(event.getId());
  await client.decryptEventIfNeeded(event);
  if (event.isDecryptionFailure()) {
    undecrypted.add(event.getId());
    seenUndecryptable.add(event.getId());
  }
  await emitMessage(event);
});

client.on(sdk.MatrixEventEvent.Decrypted, async (event) => {
  if (!undecrypted.has(event.getId()) || event.isDecryptionFailure()) return;
  undecrypted.delete(event.getId());
  await emitMessage(event);
});

// Decrypted message bodies from others, newest last, and who waits for one.
const bodies = [];
const bodyWaiters = new Set();

function waitForBody(match, ms) {
  const found = bodies.findLast(match);
  if (found) return Promise.resolve(found);
  return new Promise((resolve) => {
    const waiter = (body) => {
      if (!match(body)) return false;
      clearTimeout(timer);
      bodyWaiters.delete(waiter);
      resolve(body);
      return true;
    };
    const timer = setTimeout(() => {
      bodyWaiters.delete(waiter);
      resolve(null);
    }, ms);
    bodyWaiters.add(waiter);
  });
}

async function emitMessage(event) {
  if (event.getType() === "m.reaction") {
    emit({ type: "reaction", room_id: event.getRoomId(), event_id: event.getId(), ts: event.getTs(), sender: event.getSender(), content: event.getContent() });
    return;
  }
  if (event.getType() !== "m.room.message") return;
  const content = event.getContent();
  if (event.getSender() !== login.user_id && typeof content.body === "string") {
    bodies.push(content.body);
    for (const waiter of [...bodyWaiters]) waiter(content.body);
  }
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
    ts: event.getTs(),
    sender: event.getSender(),
    wire_type: event.getWireType(),
    decrypted: event.isEncrypted() && !event.isDecryptionFailure(),
    // When this client could first read it, and whether its key came after the event: how
    // long a person would have looked at "Unable to decrypt".
    readable_at: Date.now(),
    key_came_later: seenUndecryptable.has(event.getId()),
    shield,
    content,
  });
}

// runSAS drives one verification request to its end with emoji (SAS), printing what it shows.
async function runSAS(request) {
  const txn = request.transactionId;
  if (!request.initiatedByMe) await request.accept();
  let verifier = request.verifier;
  if (!verifier) {
    await new Promise((resolve) => {
      const check = () => {
        if (request.verifier || request.phase === VerificationPhase.Cancelled || request.phase === VerificationPhase.Done) {
          request.off(VerificationRequestEvent.Change, check);
          resolve();
        } else if (request.initiatedByMe && request.phase === VerificationPhase.Ready) {
          request.startVerification("m.sas.v1").catch((err) => emit({ type: "error", message: `start SAS: ${err.message}` }));
        }
      };
      request.on(VerificationRequestEvent.Change, check);
      check();
    });
    verifier = request.verifier;
  }
  if (!verifier) throw new Error(`verification ${txn} ended in phase ${request.phase} (${request.cancellationCode})`);
  verifier.on(VerifierEvent.ShowSas, async (sas) => {
    const emojis = sas.sas.emoji.map(([e, name]) => `${e} ${name}`);
    emit({ type: "sas", transaction_id: txn, emojis });
    // As a person would: compare with the emoji the bot shows in the DM, and confirm only if
    // they are the same, in the same order.
    const shown = await waitForBody((body) => body.startsWith("🔐 My emoji: "), 30000);
    // The same picture with or without its emoji presentation selector (U+FE0F).
    const plain = (list) => list.map((e) => e.replace(/\uFE0F/g, "")).join("|");
    const theirs = shown === null ? null : shown.slice("🔐 My emoji: ".length).split("\n")[0].split(" · ");
    if (theirs !== null && plain(theirs) === plain(emojis)) {
      sas.confirm();
    } else {
      emit({ type: "error", message: `emoji differ or were never shown: ${theirs}` });
      sas.mismatch();
    }
  });
  await verifier.verify();
  // Signing the other user's master key goes out through the crypto machine's request loop.
  let verified = false;
  for (let i = 0; i < 100 && !verified; i++) {
    verified = (await client.getCrypto().getUserVerificationStatus(request.otherUserId)).isVerified();
    if (!verified) await new Promise((r) => setTimeout(r, 100));
  }
  const result = { type: "verified", user_id: request.otherUserId, verified };
  emit(result);
  return result;
}

client.on(CryptoEvent.VerificationRequestReceived, (request) => {
  runSAS(request).catch((err) => emit({ type: "error", message: `verification: ${err.message}` }));
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
    case "verify": {
      // Ask the other user to verify in a DM room, as Element's "Verify" button does.
      const request = await client.getCrypto().requestVerificationDM(cmd.user_id, cmd.room_id);
      return await runSAS(request);
    }
    case "verified": {
      const status = await client.getCrypto().getUserVerificationStatus(cmd.user_id);
      return { verified: status.isVerified() };
    }
    case "raw_event": {
      // An event sent as is, past this client's encryption: what a broken client sends.
      const path = `/rooms/${encodeURIComponent(cmd.room_id)}/send/${encodeURIComponent(cmd.type)}/${client.makeTxnId()}`;
      const res = await client.http.authedRequest("PUT", path, undefined, cmd.content);
      return { event_id: res.event_id };
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
