import { lazy, Suspense } from "react";
import { useSession } from "./features/account/session";
import { SignIn, signOut } from "./features/account/SignIn";
import { CartPage } from "./features/cart/CartPage";
import { Category } from "./features/catalog/Category";
import { Home } from "./features/catalog/Home";
import { ProductPage } from "./features/products/ProductPage";
import { Results } from "./features/search/Results";
import { SearchBox } from "./features/search/SearchBox";
import { Link, useRoute } from "./router";

// Pages a shopper reaches after browsing load on demand: the first load (home, a category, a
// product, search, the cart) carries only what those need (the 80 KB budget, docs/storefront.md).
const account = () => import("./features/account/Account");
const AccountPage = lazy(() => account().then((m) => ({ default: m.AccountPage })));
const Addresses = lazy(() => account().then((m) => ({ default: m.Addresses })));
const ForgotPassword = lazy(() => account().then((m) => ({ default: m.ForgotPassword })));
const ResetPassword = lazy(() => account().then((m) => ({ default: m.ResetPassword })));
const VerifyEmail = lazy(() => account().then((m) => ({ default: m.VerifyEmail })));
const Checkout = lazy(() => import("./features/checkout/Checkout").then((m) => ({ default: m.Checkout })));
const admin = () => import("./features/admin/Admin");
const adminProducts = () => import("./features/admin/Products");
const adminOrders = () => import("./features/admin/Orders");
const selling = () => import("./features/admin/Selling");
const AdminHome = lazy(() => admin().then((m) => ({ default: m.AdminHome })));
const AdminProducts = lazy(() => adminProducts().then((m) => ({ default: m.AdminProducts })));
const NewProduct = lazy(() => adminProducts().then((m) => ({ default: m.NewProduct })));
const ProductEditor = lazy(() => adminProducts().then((m) => ({ default: m.ProductEditor })));
const AdminOrders = lazy(() => adminOrders().then((m) => ({ default: m.AdminOrders })));
const AdminOrder = lazy(() => adminOrders().then((m) => ({ default: m.AdminOrder })));
const AdminDiscounts = lazy(() => selling().then((m) => ({ default: m.AdminDiscounts })));
const AdminShipping = lazy(() => selling().then((m) => ({ default: m.AdminShipping })));
const orders = () => import("./features/orders/Orders");
const OrderList = lazy(() => orders().then((m) => ({ default: m.OrderList })));
const OrderPage = lazy(() => orders().then((m) => ({ default: m.OrderPage })));

export function App() {
  const route = useRoute();
  const signedIn = useSession();
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header>
        <Link href="/" className="logo">
          Ferrocart
        </Link>
        <SearchBox initial={route.page === "search" ? route.q : ""} />
        <nav aria-label="Account">
          <Link href="/cart">Cart</Link>{" "}
          {signedIn ? (
            <>
              {signedIn.role === "admin" && (
                <>
                  <Link href="/admin">Admin</Link>{" "}
                </>
              )}
              <Link href="/account/orders">Orders</Link>{" "}
              <Link href="/account">
                Account<span className="visually-hidden">: </span> <span>{signedIn.email}</span>
              </Link>{" "}
              <button type="button" onClick={signOut}>
                Sign out
              </button>
            </>
          ) : (
            <Link href="/account/login">Sign in</Link>
          )}
        </nav>
      </header>
      <main id="main">
        <Suspense fallback={<p aria-busy="true">Loading…</p>}>
        {route.page === "home" && <Home />}
        {route.page === "category" && <Category slug={route.slug} />}
        {route.page === "search" && (
          <>
            <h1>{route.q ? `Results for “${route.q}”` : "All products"}</h1>
            <Results q={route.q} />
          </>
        )}
        {route.page === "product" && <ProductPage id={route.id} />}
        {route.page === "cart" && <CartPage />}
        {route.page === "checkout" && <Checkout />}
        {route.page === "login" && <SignIn mode="login" />}
        {route.page === "register" && <SignIn mode="register" />}
        {route.page === "orders" && <OrderList />}
        {route.page === "account" && <AccountPage />}
        {route.page === "addresses" && <Addresses />}
        {route.page === "forgot-password" && <ForgotPassword />}
        {route.page === "reset-password" && <ResetPassword token={route.token} />}
        {route.page === "verify-email" && <VerifyEmail token={route.token} />}
        {route.page === "order" && <OrderPage id={route.id} token={route.token} placed={route.placed} />}
        {route.page === "admin" && <AdminHome />}
        {route.page === "admin-products" && <AdminProducts />}
        {route.page === "admin-new-product" && <NewProduct />}
        {route.page === "admin-product" && <ProductEditor id={route.id} />}
        {route.page === "admin-orders" && <AdminOrders />}
        {route.page === "admin-order" && <AdminOrder id={route.id} />}
        {route.page === "admin-discounts" && <AdminDiscounts />}
        {route.page === "admin-shipping" && <AdminShipping />}
        {route.page === "not-found" && (
          <>
            <h1>Not found</h1>
            <p>
              There is no such page. <Link href="/">Back to the shop</Link>
            </p>
          </>
        )}
        </Suspense>
      </main>
    </>
  );
}
