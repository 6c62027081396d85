"""The local Stripe stand-in (PyPI localstack-localstripe), bound to 127.0.0.1 only.

Its own CLI listens on every interface and pickles its state to /tmp/localstripe.pickle; here it
listens on 127.0.0.1:<port>, keeps state in memory only (each local stack starts clean), and
registers the shop's webhook endpoint so payment events are delivered, signed, as Stripe would.

It also confirms a PaymentIntent from the browser the way Stripe.js does it: localstripe's own
Stripe.js answers `confirmCardPayment(secret, {payment_method: {card}})` only for an intent the
server already gave a card (it ignores the card element). Here, `confirmCardPayment` with the card
element posts the card to `POST /v1/payment_intents/<id>/confirm` with the publishable key and the
intent's client secret, as Stripe.js does: the card becomes the intent's payment method and the
intent is confirmed (a declined card answers 402 card_declined and leaves the intent waiting for
another card, as Stripe does); its card fields are labelled, as Stripe's are. Stripe's generic-decline test card 4000000000000002 is declined at
the charge too, as it is at Stripe.

    python localstripe_server.py <port> [<webhook url> <webhook signing secret>]
"""
import json
import os
import re
import sys

from aiohttp import web
from localstripe import server
from localstripe.errors import UserError
from localstripe.resources import PaymentIntent, PaymentMethod, store
from localstripe.server import app
from localstripe.webhooks import register_webhook

store.dump_to_disk = lambda: None  # no shared /tmp file between stacks or runs

# Declined when charged, as at Stripe (localstripe declines these only when attached to a customer).
GENERIC_DECLINES = {"4000000000000002", "4000000000009995", "4000000000009987", "4000000000000069"}
_charging_is_declined = PaymentMethod._charging_is_declined
PaymentMethod._charging_is_declined = lambda self: _charging_is_declined(self) or (
    self.type == "card" and self._card_number in GENERIC_DECLINES
)

CONFIRM = re.compile(r"^/v1/payment_intents/(pi_\w+)/confirm$")

# Appended to localstripe's Stripe.js: confirmCardPayment with the card element, as Stripe.js does;
# and the card element's fields labelled, as Stripe's own (in its frame) are.
BROWSER_CONFIRM = r"""
(function () {
  const labels = { number: 'Card number', exp_month: 'Expiry month (MM)', exp_year: 'Expiry year (YY)',
                   cvc: 'CVC', postal_code: 'Card postcode' };
  const fills = { number: 'cc-number', exp_month: 'cc-exp-month', exp_year: 'cc-exp-year', cvc: 'cc-csc',
                  postal_code: 'postal-code' };
  const mount = Element.prototype.mount;
  Element.prototype.mount = function (el) {
    mount.call(this, el);
    Object.entries(this._inputs || {}).forEach(([field, input]) => {
      input.setAttribute('aria-label', labels[field]);
      input.setAttribute('autocomplete', fills[field]);
      if (field !== 'postal_code') input.setAttribute('inputmode', 'numeric');
    });
  };
  const base = LOCALSTRIPE_BASE_API;
  const make = Stripe;
  Stripe = (apiKey) => {
    const stripe = make(apiKey);
    const authenticate = stripe.confirmCardPayment;
    stripe.confirmCardPayment = async (clientSecret, data) => {
      const card = data && data.payment_method && data.payment_method.card;
      if (!card || !card.value) return authenticate(clientSecret, data);
      const pi = clientSecret.match(/^(pi_\w+)_secret_/)[1];
      try {
        const response = await fetch(`${base}/v1/payment_intents/${pi}/confirm`, {
          method: 'POST',
          body: JSON.stringify({
            key: apiKey,
            client_secret: clientSecret,
            payment_method_data: {
              type: 'card',
              card: card.value.card,
              billing_details: data.payment_method.billing_details || {},
            },
          }),
        });
        const body = await response.json().catch(() => ({}));
        if (response.status !== 200 || body.error) return { error: body.error || { message: 'Payment failed.' } };
        if (body.status === 'requires_action') return authenticate(clientSecret, data);
        return { paymentIntent: body };
      } catch (err) {
        return { error: { message: String(err) } };
      }
    };
    return stripe;
  };
})();
"""


@web.middleware
async def browser_confirm(request, handler):
    """Stripe.js's confirm: publishable key, client secret and the card, no secret key."""
    match = CONFIRM.match(request.path)
    if request.method != "POST" or not match or request.headers.get("Authorization"):
        return await handler(request)
    try:
        data = json.loads(await request.text() or "{}")
    except json.JSONDecodeError:
        data = {}
    if not (isinstance(data, dict) and str(data.get("key", "")).startswith("pk_")):
        return await handler(request)
    try:
        intent = PaymentIntent._api_retrieve(match.group(1))
        if data.get("client_secret") != intent.client_secret:
            raise UserError(401, "Unauthorized")
        if intent.status not in ("requires_payment_method", "requires_confirmation"):
            raise UserError(400, f"This PaymentIntent's status is {intent.status}.",
                            {"code": "payment_intent_unexpected_state"})
        method = data.get("payment_method_data") or {}
        card = method.get("card") or {}
        pm = PaymentMethod._api_create(
            type="card",
            card={k: card.get(k) for k in ("number", "exp_month", "exp_year", "cvc")},
            billing_details=method.get("billing_details") or None,
        )
        intent.payment_method = pm.id
        intent.latest_charge = None  # a new card after a declined one
        intent._confirm(on_failure_now=intent._report_failure)
        return server.json_response(intent._export())
    except UserError as e:
        return e.to_response()


async def stripe_js(request):
    path = os.path.join(os.path.dirname(server.__file__), "localstripe-v3.js")
    with open(path) as f:
        return web.Response(text=f.read() + BROWSER_CONFIRM, content_type="application/javascript")


@web.middleware
async def serve_stripe_js(request, handler):
    if request.method == "GET" and request.path == "/js.stripe.com/v3/":
        return await stripe_js(request)
    return await handler(request)


app.middlewares.insert(0, browser_confirm)
app.middlewares.insert(0, serve_stripe_js)

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8420
if len(sys.argv) > 3:
    register_webhook("ferrocart", sys.argv[2], sys.argv[3], None)
web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
