// The account: profile (and its email verification), the address book, and the password-reset and
// verification pages the account emails link to (/reset-password?token=, /verify-email?token=).
import { useEffect, useState, type FormEvent } from "react";
import { api, errorMessage } from "../../api/client";
import type { components } from "../../api/schema";
import { Link } from "../../router";
import { AddressFields, cleanAddress, countries, emptyAddress, type AddressInput } from "../../ui/AddressFields";
import { useSession } from "./session";

type Profile = components["schemas"]["Profile"];
type Saved = components["schemas"]["SavedAddress"];

const countryName = (code: string) => countries.find((c) => c.code === code)?.name ?? code;

function SignInFirst({ next }: { next: string }) {
  return (
    <p>
      <Link href={`/account/login?next=${encodeURIComponent(next)}`}>Sign in</Link> first.
    </p>
  );
}

export function AccountPage() {
  const signedIn = useSession();
  const [me, setMe] = useState<Profile | null>(null);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    document.title = "Your account · Ferrocart";
    if (signedIn) api.GET("/me").then(({ data, error }) => (data ? setMe(data) : setNote(errorMessage(error))));
  }, [signedIn]);
  if (!signedIn) return <SignInFirst next="/account" />;
  const resend = async () => {
    const { error } = await api.POST("/me/email-verification");
    setNote(error ? errorMessage(error) : `We sent a new link to ${me?.email}.`);
  };
  return (
    <>
      <h1>Your account</h1>
      {note && <p role="status">{note}</p>}
      {me && (
        <dl className="profile">
          <dt>Name</dt>
          <dd>{me.name ?? "–"}</dd>
          <dt>Email</dt>
          <dd>
            {me.email}{" "}
            {me.email_verified ? (
              "(verified)"
            ) : (
              <>
                (not verified yet){" "}
                <button type="button" onClick={resend}>
                  Send the verification link again
                </button>
              </>
            )}
          </dd>
          <dt>Phone</dt>
          <dd>{me.phone ?? "–"}</dd>
        </dl>
      )}
      <ul>
        <li>
          <Link href="/account/orders">Your orders</Link>
        </li>
        <li>
          <Link href="/account/addresses">Your addresses</Link>
        </li>
      </ul>
    </>
  );
}

export function Addresses() {
  const signedIn = useSession();
  const [book, setBook] = useState<Saved[] | null>(null);
  const [draft, setDraft] = useState<AddressInput>(emptyAddress);
  const [makeDefault, setMakeDefault] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const load = () =>
    api.GET("/me/addresses").then(({ data, error }) => (data ? setBook(data.addresses) : setError(errorMessage(error))));
  useEffect(() => {
    document.title = "Your addresses · Ferrocart";
    if (signedIn) load();
  }, [signedIn]);
  if (!signedIn) return <SignInFirst next="/account/addresses" />;
  const add = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const { data, error } = await api.POST("/me/addresses", { body: { ...cleanAddress(draft), default: makeDefault } });
    if (!data) return setError(errorMessage(error));
    setDraft(emptyAddress);
    setMakeDefault(false);
    setStatus("Address saved.");
    load();
  };
  const remove = async (id: string) => {
    const { error } = await api.DELETE("/me/addresses/{id}", { params: { path: { id } } });
    if (error) return setError(errorMessage(error));
    setStatus("Address deleted.");
    load();
  };
  const setDefault = async (id: string) => {
    const { error } = await api.PATCH("/me/addresses/{id}", { params: { path: { id } }, body: { default: true } });
    if (error) return setError(errorMessage(error));
    setStatus("Default address changed.");
    load();
  };
  return (
    <>
      <h1>Your addresses</h1>
      {status && <p role="status">{status}</p>}
      {book?.length === 0 && <p>No saved addresses yet.</p>}
      <ul className="addresses">
        {book?.map((a) => (
          <li key={a.id}>
            <address>
              {[a.name, a.line1, a.line2, a.city, a.region, a.postal_code, countryName(a.country)].filter(Boolean).join(", ")}
            </address>
            {a.default ? (
              <strong>Default</strong>
            ) : (
              <button type="button" onClick={() => setDefault(a.id)}>
                Make default<span className="visually-hidden"> {a.line1}</span>
              </button>
            )}{" "}
            <button type="button" onClick={() => remove(a.id)}>
              Delete<span className="visually-hidden"> {a.line1}</span>
            </button>
          </li>
        ))}
      </ul>
      <form className="form" onSubmit={add} aria-label="Add an address">
        <h2>Add an address</h2>
        {error && <p role="alert">{error}</p>}
        <AddressFields value={draft} onChange={setDraft} />
        <label className="check">
          <input type="checkbox" checked={makeDefault} onChange={(e) => setMakeDefault(e.target.checked)} />
          Make it my default
        </label>
        <button type="submit">Save address</button>
      </form>
    </>
  );
}

export function ForgotPassword() {
  const [email, setEmail] = useState("");
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    document.title = "Reset your password · Ferrocart";
  }, []);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const { error } = await api.POST("/auth/password-reset", { body: { email: email.trim() } });
    if (error) return setError(errorMessage(error));
    setMessage(`If ${email.trim()} has an account, a link to set a new password is on its way. It works for 30 minutes.`);
  };
  return (
    <form className="form" onSubmit={submit} aria-label="Reset your password">
      <h1>Reset your password</h1>
      {message && <p role="status">{message}</p>}
      {error && <p role="alert">{error}</p>}
      <label>
        Email
        <input type="email" required autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <button type="submit">Send the link</button>
    </form>
  );
}

export function ResetPassword({ token }: { token: string }) {
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    document.title = "Set a new password · Ferrocart";
  }, []);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const { error } = await api.POST("/auth/password-reset/confirm", { body: { token, password } });
    if (error) return setError(errorMessage(error));
    setDone(true);
  };
  if (done)
    return (
      <>
        <h1>Password changed</h1>
        <p role="status">
          Every session of your account has ended. <Link href="/account/login">Sign in</Link> with the new password.
        </p>
      </>
    );
  return (
    <form className="form" onSubmit={submit} aria-label="Set a new password">
      <h1>Set a new password</h1>
      {error && <p role="alert">{error}</p>}
      <label>
        New password (8 characters or more)
        <input
          type="password"
          required
          minLength={8}
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <button type="submit">Set password</button>
      <p>
        Link expired? <Link href="/account/forgot-password">Send a new one</Link>
      </p>
    </form>
  );
}

export function VerifyEmail({ token }: { token: string }) {
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    document.title = "Verify your email · Ferrocart";
    api.POST("/auth/verify-email", { body: { token } }).then(({ data, error }) =>
      setResult(
        data ? { ok: true, text: `${data.email} is verified. Thank you.` } : { ok: false, text: errorMessage(error) },
      ),
    );
  }, [token]);
  return (
    <>
      <h1>Verify your email</h1>
      {!result && <p aria-busy="true">Checking the link…</p>}
      {result && <p role={result.ok ? "status" : "alert"}>{result.text}</p>}
      {result && !result.ok && (
        <p>
          Signed in? Ask for a new link from <Link href="/account">your account</Link>.
        </p>
      )}
    </>
  );
}
