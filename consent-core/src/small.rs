//! A list that keeps its first few items inline and moves to the heap beyond them: a decision's
//! category outcomes and a subject's grant versions, both read on the hot path of a decision.
//!
//! Its fields are private and every method keeps `len <= N`, so the inline slice always exists:
//! there is no "empty list" fallback to reach (which for a decision's outcomes would read as
//! "every category permitted").

/// Up to `N` items inline, all on the heap beyond that, in insertion order.
#[derive(Debug, Clone)]
pub(crate) struct Small<T: Copy, const N: usize> {
    repr: Repr<T, N>,
}

#[derive(Debug, Clone)]
enum Repr<T: Copy, const N: usize> {
    /// `len <= N`, kept by every method of `Small`.
    Inline {
        len: u8,
        items: [T; N],
    },
    Heap(Vec<T>),
}

impl<T: Copy, const N: usize> Small<T, N> {
    /// An empty list; `filler` fills the unused inline places (it is never read).
    pub(crate) const fn new(filler: T) -> Self {
        Small {
            repr: Repr::Inline {
                len: 0,
                items: [filler; N],
            },
        }
    }

    /// `f` of each item of `from`, in order: inline when they fit.
    ///
    /// The inline case fills the array in one pass with its length known up front (no
    /// per-item check of where the list lives): this builds a decision's outcomes on the
    /// statute path, where a few nanoseconds are a tenth of the decision.
    pub(crate) fn map_from<S: Copy>(filler: T, from: &[S], mut f: impl FnMut(S) -> T) -> Self {
        match u8::try_from(from.len()) {
            Ok(len) if from.len() <= N => {
                let mut items = [filler; N];
                for (item, &source) in items.iter_mut().zip(from) {
                    *item = f(source);
                }
                Small {
                    repr: Repr::Inline { len, items },
                }
            }
            _ => Small {
                repr: Repr::Heap(from.iter().map(|&s| f(s)).collect()),
            },
        }
    }

    /// The items.
    ///
    /// # Panics
    /// Never: `len <= N` holds for every list this type builds.
    pub(crate) fn as_slice(&self) -> &[T] {
        match &self.repr {
            Repr::Inline { len, items } => items.split_at(usize::from(*len)).0,
            Repr::Heap(items) => items,
        }
    }

    /// The items, to change in place.
    ///
    /// # Panics
    /// Never, as [`Small::as_slice`].
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        match &mut self.repr {
            Repr::Inline { len, items } => items.split_at_mut(usize::from(*len)).0,
            Repr::Heap(items) => items,
        }
    }

    /// Appends an item; the list moves to the heap when the inline places are full.
    pub(crate) fn push(&mut self, item: T) {
        match &mut self.repr {
            Repr::Inline { len, items } => match items.get_mut(usize::from(*len)) {
                Some(slot) if *len < u8::MAX => {
                    *slot = item;
                    *len += 1;
                }
                _ => {
                    // Grow by half (at least one) rather than Vec's doubling: a list that
                    // outgrows the inline space rarely grows much further.
                    let mut heap = Vec::with_capacity(N + N / 2 + 1);
                    heap.extend_from_slice(items.split_at(usize::from(*len)).0);
                    heap.push(item);
                    self.repr = Repr::Heap(heap);
                }
            },
            Repr::Heap(items) => {
                if items.len() == items.capacity() {
                    items.reserve_exact((items.len() / 2).max(1));
                }
                items.push(item);
            }
        }
    }

    /// Whether the items live on the heap.
    #[cfg(test)]
    pub(crate) fn is_on_heap(&self) -> bool {
        matches!(self.repr, Repr::Heap(_))
    }

    /// Releases spare heap capacity.
    pub(crate) fn shrink_to_fit(&mut self) {
        if let Repr::Heap(items) = &mut self.repr {
            items.shrink_to_fit();
        }
    }
}

impl<T: Copy + PartialEq, const N: usize> PartialEq for Small<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy, const N: usize> std::ops::Deref for Small<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Copy, const N: usize> std::ops::DerefMut for Small<T, N> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_spill_to_the_heap_in_order() {
        let mut list: Small<u32, 3> = Small::new(0);
        for i in 0..10u32 {
            list.push(i);
            assert_eq!(list.len(), usize::try_from(i).unwrap() + 1);
            assert!(list.iter().copied().eq(0..=i));
            assert_eq!(list.is_on_heap(), i >= 3);
        }
        list.shrink_to_fit();
        assert_eq!(list.len(), 10);
        for item in list.as_mut_slice() {
            *item *= 2;
        }
        assert!(list.iter().copied().eq((0..10).map(|i| i * 2)));
    }

    #[test]
    fn a_mapped_list_is_inline_when_it_fits() {
        let fits: Small<u32, 6> = Small::map_from(0, &[1u8, 2, 3], u32::from);
        assert!(!fits.is_on_heap());
        assert_eq!(fits.as_slice(), &[1, 2, 3]);
        let spills: Small<u32, 2> = Small::map_from(0, &[1u8, 2, 3], u32::from);
        assert!(spills.is_on_heap());
        assert_eq!(spills.as_slice(), &[1, 2, 3]);
        let empty: Small<u32, 2> = Small::map_from(0, &[] as &[u8], u32::from);
        assert!(empty.is_empty());
    }
}
