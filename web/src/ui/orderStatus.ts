// An order's status and times as the shop writes them, for the customer's pages and the admin's.
import type { components } from "../api/schema";

export type OrderStatus = components["schemas"]["Order"]["status"];

export const STATUS: Record<OrderStatus, string> = {
  pending_payment: "Awaiting payment",
  paid: "Paid",
  fulfilling: "Being packed",
  shipped: "Shipped",
  cancelled: "Cancelled",
  refunded: "Refunded",
};

export const when = (at: string) => new Date(at).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
