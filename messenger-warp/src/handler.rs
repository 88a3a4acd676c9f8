//! Boxing a route's handler future where the filter calls it.
//!
//! A warp filter's type holds the type of every future its closures
//! return, and the combinators are compiled for that type: an edit inside
//! a handler, which changes its future's layout, would compile the whole
//! route chain again (~45 s of a release rebuild). Returned through
//! [`handler`], the chain sees only a `BoxFuture`, and an edit compiles
//! the handler's own code (~10 s; docs/performance.md). One allocation per
//! request is the price.

use std::future::Future;

use futures_util::future::BoxFuture;

/// `future`, boxed and erased.
pub(crate) fn handler<T>(
    future: impl Future<Output = T> + Send + 'static,
) -> BoxFuture<'static, T> {
    Box::pin(future)
}
