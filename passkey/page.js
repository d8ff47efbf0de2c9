// The two ceremonies behind the page's buttons. Everything the person reads is in the HTML;
// this only turns the server's options into WebAuthn calls and the answers back into JSON.
"use strict";

const b64u = {
  decode(s) {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
  },
  encode(buf) {
    let bin = "";
    for (const b of new Uint8Array(buf)) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
};

function say(text, good) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.className = "status " + (good ? "good" : "bad");
}

async function call(path, body) {
  const resp = await fetch(location.pathname + path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    credentials: "omit",
  });
  const answer = await resp.json();
  if (!resp.ok) throw new Error(answer.error || "seedgate answered " + resp.status);
  return answer;
}

function credentialJSON(cred) {
  const r = cred.response;
  const response = { clientDataJSON: b64u.encode(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = b64u.encode(r.attestationObject);
    if (r.getTransports) response.transports = r.getTransports();
  } else {
    response.authenticatorData = b64u.encode(r.authenticatorData);
    response.signature = b64u.encode(r.signature);
    if (r.userHandle) response.userHandle = b64u.encode(r.userHandle);
  }
  return {
    id: cred.id, rawId: b64u.encode(cred.rawId), type: cred.type, response,
    clientExtensionResults: cred.getClientExtensionResults(),
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
  };
}

async function enrol(button) {
  const options = await call("/begin", {});
  const pk = options.publicKey;
  pk.challenge = b64u.decode(pk.challenge);
  pk.user.id = b64u.decode(pk.user.id);
  for (const c of pk.excludeCredentials || []) c.id = b64u.decode(c.id);
  const cred = await navigator.credentials.create({ publicKey: pk });
  const done = await call("/finish", credentialJSON(cred));
  button.remove();
  say("Registered. To use it, send  !sg passkey confirm " + done.code + "  in your direct-message room with seedgate, from your verified session.", true);
  const code = document.createElement("p");
  code.className = "code";
  code.id = "code";
  code.textContent = done.code;
  document.getElementById("status").after(code);
}

async function vote(button) {
  const outcome = button.dataset.outcome;
  const begun = await call("/begin", { outcome });
  const pk = begun.publicKey;
  pk.challenge = b64u.decode(pk.challenge);
  for (const c of pk.allowCredentials || []) c.id = b64u.decode(c.id);
  const cred = await navigator.credentials.get({ publicKey: pk });
  const res = await call("/finish", { nonce: begun.nonce, credential: credentialJSON(cred) });
  if (outcome === "reveal") {
    for (const el of document.querySelectorAll("[data-field]")) el.textContent = res.request[el.dataset.field] || "";
    document.getElementById("hidden").remove();
    button.remove();
    for (const b of document.querySelectorAll("button[data-outcome]")) { b.hidden = false; b.disabled = false; }
    say("Shown to you. Now approve or deny.", true);
    return;
  }
  if (res.counted) {
    say("Your " + res.decision + " counted (" + res.person + "). The request is " + res.state + ".", true);
    for (const b of document.querySelectorAll("button")) b.disabled = true;
  } else {
    say("Not counted: " + res.reason + ".", false);
  }
}

function wire(button, run) {
  button.disabled = !window.PublicKeyCredential;
  if (button.disabled) say("This browser has no passkeys (WebAuthn).", false);
  button.addEventListener("click", async () => {
    for (const b of document.querySelectorAll("button")) b.disabled = true;
    say("Waiting for your passkey…", true);
    try {
      await run(button);
    } catch (err) {
      say(err.message, false);
      for (const b of document.querySelectorAll("button")) b.disabled = false;
    }
  });
}

for (const b of document.querySelectorAll("button[data-outcome]")) wire(b, vote);
for (const b of document.querySelectorAll("button.enrol")) wire(b, enrol);
