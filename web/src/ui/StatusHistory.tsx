// An order's status history, oldest first, for the customer's order page and the admin's.
import type { components } from "../api/schema";
import { STATUS, when } from "./orderStatus";

type History = components["schemas"]["Order"]["status_history"];

export function StatusHistory({ history }: { history: History }) {
  return (
    <section aria-label="History">
      <h2>History</h2>
      <ol>
        {history?.map((h) => (
          <li key={`${h.status}-${h.at}`}>
            {STATUS[h.status] ?? h.status}: {when(h.at)}
          </li>
        ))}
      </ol>
    </section>
  );
}
