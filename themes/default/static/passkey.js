// Passkeys (WebAuthn) for members: add one on this device once signed in, and sign
// back in with it later without a code. Loaded only where it is offered.
const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const bin = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
const post = async (url, body) => {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, credentials: 'same-origin', body: JSON.stringify(body || {}) });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw data;
  return data;
};
const answer = (cred, fields) => ({ id: cred.id, rawId: b64(cred.rawId), type: cred.type, response: fields(cred.response), extensions: cred.getClientExtensionResults?.() || {} });

// Whether this browser and address can hold a passkey (never on a bare IP address).
export const usable = () => !!window.PublicKeyCredential && !/^[\d.]+$|^\[/.test(location.hostname);

// Registers a passkey on this device for the signed-in member.
export async function register() {
  const { ceremony, options } = await post('/api/members/passkeys/options');
  options.challenge = bin(options.challenge);
  options.user.id = bin(options.user.id);
  for (const c of options.excludeCredentials || []) c.id = bin(c.id);
  const cred = await navigator.credentials.create({ publicKey: options });
  const credential = answer(cred, (r) => ({ attestationObject: b64(r.attestationObject), clientDataJSON: b64(r.clientDataJSON), transports: r.getTransports?.() || [] }));
  return post('/api/members/passkeys', { ceremony, credential });
}

// Signs in with a passkey of this device: the member's session opens.
export async function signIn() {
  const { ceremony, options } = await post('/api/members/passkey/options');
  options.challenge = bin(options.challenge);
  for (const c of options.allowCredentials || []) c.id = bin(c.id);
  const cred = await navigator.credentials.get({ publicKey: options });
  const credential = answer(cred, (r) => ({ authenticatorData: b64(r.authenticatorData), clientDataJSON: b64(r.clientDataJSON), signature: b64(r.signature), userHandle: r.userHandle ? b64(r.userHandle) : null }));
  return post('/api/members/passkey/verify', { ceremony, credential });
}
