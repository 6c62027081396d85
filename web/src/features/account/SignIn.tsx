import { useEffect, useState, type FormEvent } from "react";
import { api, cartToken, errorMessage } from "../../api/client";
import { Link, navigate } from "../../router";
import { session } from "./session";

/** Logs in (merging a guest cart into the account's) and goes on to `next`. */
async function logIn(email: string, password: string): Promise<string | null> {
  const { data, error } = await api.POST("/auth/login", { body: { email, password } });
  if (!data) return errorMessage(error);
  session.start(data, email, undefined);
  // The role only shows or hides the admin's link: asked for without holding up the sign-in (the
  // page moves on at once, as the signed-in header already shows).
  api.GET("/me").then((me) => me.data && session.setRole(me.data.role));
  // The guest cart is the account's now.
  cartToken.clear();
  return null;
}

export function SignIn({ mode }: { mode: "login" | "register" }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    document.title = `${mode === "login" ? "Sign in" : "Create an account"} · Ferrocart`;
  }, [mode]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    if (mode === "register") {
      const { error } = await api.POST("/auth/register", { body: { email, password, ...(name ? { name } : {}) } });
      if (error) {
        setBusy(false);
        return setError(errorMessage(error));
      }
    }
    const failed = await logIn(email, password);
    setBusy(false);
    if (failed) setError(failed);
    else navigate(new URLSearchParams(window.location.search).get("next") ?? "/");
  };
  return (
    <form onSubmit={submit} className="form" aria-label={mode === "login" ? "Sign in" : "Create an account"}>
      <h1>{mode === "login" ? "Sign in" : "Create an account"}</h1>
      {error && <p role="alert">{error}</p>}
      {mode === "register" && (
        <label>
          Name (optional)
          <input autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
      )}
      <label>
        Email
        <input type="email" required autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        Password
        <input
          type="password"
          required
          minLength={mode === "register" ? 8 : undefined}
          autoComplete={mode === "login" ? "current-password" : "new-password"}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <button type="submit" disabled={busy}>
        {mode === "login" ? "Sign in" : "Create account"}
      </button>
      <p>
        {mode === "login" ? (
          <>
            New here? <Link href="/account/register">Create an account</Link> ·{" "}
            <Link href="/account/forgot-password">Forgot your password?</Link>
          </>
        ) : (
          <>
            Have an account? <Link href="/account/login">Sign in</Link>
          </>
        )}
      </p>
    </form>
  );
}

export async function signOut() {
  await api.POST("/auth/logout");
  session.end();
  navigate("/");
}
