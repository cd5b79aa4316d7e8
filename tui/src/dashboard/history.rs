//! Bounded histories and their summaries: the last N samples of a series, and p50/p95/max
//! over them.

use std::collections::VecDeque;
use std::time::Duration;

/// A ring of the last `cap` items; pushing past the cap drops the oldest.
#[derive(Clone, Debug)]
pub struct Ring<T> {
    items: VecDeque<T>,
    cap: usize,
}

impl<T> Ring<T> {
    pub fn new(cap: usize) -> Self {
        Ring {
            items: VecDeque::with_capacity(cap.min(256)),
            cap: cap.max(1),
        }
    }

    pub fn push(&mut self, item: T) {
        if self.items.len() == self.cap {
            self.items.pop_front();
        }
        self.items.push_back(item);
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// Oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.items.iter()
    }

    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut T> {
        self.items.iter_mut()
    }

    pub fn last(&self) -> Option<&T> {
        self.items.back()
    }

    pub fn first(&self) -> Option<&T> {
        self.items.front()
    }
}

/// p50, p95 and max of a set of samples (nearest-rank percentiles).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub p50: Duration,
    pub p95: Duration,
    pub max: Duration,
    pub samples: usize,
}

impl Summary {
    pub fn of(samples: impl IntoIterator<Item = Duration>) -> Option<Summary> {
        let mut sorted: Vec<Duration> = samples.into_iter().collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_unstable();
        let rank = |p: f64| {
            let k = (p * sorted.len() as f64).ceil() as usize;
            sorted[k.clamp(1, sorted.len()) - 1]
        };
        Some(Summary {
            p50: rank(0.50),
            p95: rank(0.95),
            max: sorted[sorted.len() - 1],
            samples: sorted.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_drops_the_oldest_past_its_cap() {
        let mut ring = Ring::new(3);
        for i in 0..5 {
            ring.push(i);
        }
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), [2, 3, 4]);
        assert_eq!(ring.last(), Some(&4));
        assert_eq!(ring.first(), Some(&2));
    }

    #[test]
    fn summary_uses_nearest_rank() {
        let ms = Duration::from_millis;
        let summary = Summary::of((1..=20).map(ms)).unwrap();
        assert_eq!(
            (summary.p50, summary.p95, summary.max),
            (ms(10), ms(19), ms(20))
        );
        let one = Summary::of([ms(7)]).unwrap();
        assert_eq!((one.p50, one.p95, one.max), (ms(7), ms(7), ms(7)));
        assert_eq!(Summary::of([]), None);
    }
}
