//! The delivery decision, as a value: what a socket does with a room's
//! live event given what it has delivered so far. Ids are dense per room
//! and so are change numbers (`rev`), so "what came before" is one number
//! each, and a jump means the store holds what is missing.

use messenger_core::MessageId;

/// What to do with a live message or change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Delivered already (by a join's history, a resync, a gap's fill).
    Skip,
    /// The very next one: deliver it.
    Deliver,
    /// Some are missing before it: deliver those from the store first,
    /// then decide again (the fill may have reached it).
    FillGap,
}

/// A new message `id` on a socket that delivered the room up to `last`.
pub(super) fn by_id(last: MessageId, id: MessageId) -> Step {
    by_number(last.0, id.0)
}

/// A change numbered `rev` on a socket that delivered changes up to `last`.
pub(super) fn by_rev(last: u64, rev: u64) -> Step {
    by_number(last, rev)
}

fn by_number(last: u64, next: u64) -> Step {
    if next <= last {
        Step::Skip
    } else if next == last + 1 {
        Step::Deliver
    } else {
        Step::FillGap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_id_is_delivered_older_ones_skipped_a_jump_filled() {
        assert_eq!(by_id(MessageId(4), MessageId(5)), Step::Deliver);
        assert_eq!(by_id(MessageId(5), MessageId(5)), Step::Skip);
        assert_eq!(by_id(MessageId(5), MessageId(3)), Step::Skip);
        assert_eq!(by_id(MessageId(5), MessageId(7)), Step::FillGap);
        // A socket that has delivered nothing yet: the room's first message.
        assert_eq!(by_id(MessageId(0), MessageId(1)), Step::Deliver);
    }

    #[test]
    fn changes_follow_the_same_rule_by_rev() {
        assert_eq!(by_rev(0, 1), Step::Deliver);
        assert_eq!(by_rev(9, 9), Step::Skip);
        assert_eq!(by_rev(9, 12), Step::FillGap);
    }

    #[test]
    fn no_overflow_at_the_end_of_the_range() {
        assert_eq!(by_id(MessageId(u64::MAX), MessageId(u64::MAX)), Step::Skip);
        assert_eq!(by_rev(u64::MAX - 1, u64::MAX), Step::Deliver);
    }
}
