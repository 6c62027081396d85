import { useSession } from "./features/account/session";
import { SignIn, signOut } from "./features/account/SignIn";
import { CartPage } from "./features/cart/CartPage";
import { OrderList, OrderPage } from "./features/orders/Orders";
import { Category } from "./features/catalog/Category";
import { Home } from "./features/catalog/Home";
import { ProductPage } from "./features/products/ProductPage";
import { Results } from "./features/search/Results";
import { SearchBox } from "./features/search/SearchBox";
import { Link, useRoute } from "./router";

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
              <Link href="/account/orders">Orders</Link> <span>{signedIn.email}</span>{" "}
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
        {route.page === "login" && <SignIn mode="login" />}
        {route.page === "register" && <SignIn mode="register" />}
        {route.page === "orders" && <OrderList />}
        {route.page === "order" && <OrderPage id={route.id} token={route.token} />}
        {route.page === "not-found" && (
          <>
            <h1>Not found</h1>
            <p>
              There is no such page. <Link href="/">Back to the shop</Link>
            </p>
          </>
        )}
      </main>
    </>
  );
}
