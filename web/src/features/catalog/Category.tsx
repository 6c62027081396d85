import { useEffect } from "react";
import { Results } from "../search/Results";

export function Category({ slug }: { slug: string }) {
  const name = slug.replace(/-/g, " ");
  useEffect(() => {
    document.title = `${name} · Ferrocart`;
  }, [name]);
  return (
    <>
      <h1 className="capitalised">{name}</h1>
      <Results q="" category={slug} />
    </>
  );
}
