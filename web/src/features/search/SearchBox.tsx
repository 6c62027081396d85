// The header's search box: completions as you type (GET /search/suggest), Enter searches.
import { useEffect, useId, useState, type FormEvent } from "react";
import { api } from "../../api/client";
import { navigate } from "../../router";

type Suggestion = { type: string; text?: string; name?: string; category?: string; product_id?: string; count?: number };

export function SearchBox({ initial }: { initial: string }) {
  const [q, setQ] = useState(initial);
  const [open, setOpen] = useState(false);
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const list = useId();
  useEffect(() => setQ(initial), [initial]);
  useEffect(() => {
    if (!q.trim()) return setSuggestions([]);
    let live = true;
    const t = setTimeout(() => {
      api.GET("/search/suggest", { params: { query: { q } } }).then(({ data }) => {
        if (live && data) setSuggestions(data.suggestions as Suggestion[]);
      });
    }, 120);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [q]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setOpen(false);
    navigate(`/search?q=${encodeURIComponent(q.trim())}`);
  };
  const go = (s: Suggestion) => {
    setOpen(false);
    if (s.type === "category" && s.category) navigate(`/c/${s.category}`);
    else if (s.product_id) navigate(`/p/${s.product_id}`);
  };
  return (
    <form role="search" onSubmit={submit} className="search-box">
      <label htmlFor={`${list}-input`} className="visually-hidden">
        Search products
      </label>
      <input
        id={`${list}-input`}
        type="search"
        value={q}
        placeholder="Search products"
        autoComplete="off"
        aria-controls={list}
        aria-expanded={open && suggestions.length > 0}
        role="combobox"
        onChange={(e) => {
          setQ(e.target.value);
          setOpen(true);
        }}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
      />
      <button type="submit">Search</button>
      {open && suggestions.length > 0 && (
        <ul id={list} role="listbox" aria-label="Suggestions">
          {suggestions.map((s, i) => (
            <li key={i} role="option" aria-selected={false} onMouseDown={() => go(s)}>
              {s.type === "category" ? `in ${s.category}` : (s.name ?? s.text)}
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
