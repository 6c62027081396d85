// The API's highlights are HTML-escaped text with the matched words in <b>...</b>: shown as text
// and <mark> elements, never as HTML.
const ENTITIES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&#x27;": "'" };

function unescape(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (m) => ENTITIES[m] ?? m);
}

export function Highlighted({ html }: { html: string }) {
  const parts = html.split(/<b>|<\/b>/);
  return (
    <>
      {parts.map((p, i) => (i % 2 === 1 ? <mark key={i}>{unescape(p)}</mark> : <span key={i}>{unescape(p)}</span>))}
    </>
  );
}
