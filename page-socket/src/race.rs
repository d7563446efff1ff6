//! The first of two futures to finish: a reply against its timeout.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

/// Which future finished first, with its output; the other is dropped.
#[derive(Debug, PartialEq, Eq)]
pub enum First<A, B> {
    /// The first argument finished first.
    Left(A),
    /// The second argument finished first.
    Right(B),
}

/// Runs both until one finishes; the left one is asked first, so it wins a tie.
pub async fn first<A: Future, B: Future>(left: A, right: B) -> First<A::Output, B::Output> {
    let mut left = pin!(left);
    let mut right = pin!(right);
    poll_fn(|context| {
        if let Poll::Ready(output) = left.as_mut().poll(context) {
            return Poll::Ready(First::Left(output));
        }
        right.as_mut().poll(context).map(First::Right)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::{pending, ready};
    use std::task::{Context, Waker};

    fn now<F: Future>(future: F) -> Poll<F::Output> {
        pin!(future).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn the_one_that_is_ready_wins_and_the_left_wins_a_tie() {
        assert_eq!(
            now(first(pending::<u8>(), ready("timeout"))),
            Poll::Ready(First::Right("timeout"))
        );
        assert_eq!(now(first(ready(1), pending::<()>())), Poll::Ready(First::Left(1)));
        assert_eq!(now(first(ready(1), ready(2))), Poll::Ready(First::Left(1)));
        assert_eq!(now(first(pending::<u8>(), pending::<u8>())), Poll::Pending);
    }
}
