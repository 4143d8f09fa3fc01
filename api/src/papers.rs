//! Drawn papers' shapes in memory: each question's kind and how many options it shows, so
//! that an answer save can check the answer without reading the paper. A paper's shape
//! never changes once drawn, so an entry is never stale; any server fills its own on the
//! first save it sees for an attempt. Bounded: when full it is emptied and refills.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use exam::bank::QuestionKind;
use models::AttemptId;

/// The questions of one paper by position from 1: kind and number of options shown.
pub type Shape = Arc<[(QuestionKind, usize)]>;

#[derive(Debug)]
pub struct Shapes {
    map: RwLock<HashMap<AttemptId, Shape>>,
    capacity: usize,
}

impl Shapes {
    pub fn new(capacity: usize) -> Self {
        Self { map: RwLock::new(HashMap::new()), capacity: capacity.max(1) }
    }

    pub fn get(&self, id: &AttemptId) -> Option<Shape> {
        self.map.read().unwrap_or_else(PoisonError::into_inner).get(id).cloned()
    }

    pub fn insert(&self, id: AttemptId, shape: Shape) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.capacity && !map.contains_key(&id) {
            map.clear();
        }
        map.insert(id, shape);
    }

    pub fn len(&self) -> usize {
        self.map.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> AttemptId {
        AttemptId::parse(&format!("00000000-0000-7000-8000-0000000000{n:02x}")).expect("a uuid")
    }

    #[test]
    fn an_entry_comes_back_as_stored() {
        let shapes = Shapes::new(10);
        let shape: Shape = vec![(QuestionKind::SingleChoice, 4), (QuestionKind::TrueFalse, 2)].into();
        shapes.insert(id(1), shape.clone());
        assert_eq!(shapes.get(&id(1)).as_deref(), Some(&shape[..]));
        assert!(shapes.get(&id(2)).is_none());
    }

    #[test]
    fn a_full_cache_empties_and_refills_instead_of_growing() {
        let shapes = Shapes::new(3);
        for n in 0..3 {
            shapes.insert(id(n), vec![(QuestionKind::MultipleChoice, 5)].into());
        }
        assert_eq!(shapes.len(), 3);
        // Replacing an entry that is there does not empty it.
        shapes.insert(id(2), vec![(QuestionKind::MultipleChoice, 5)].into());
        assert_eq!(shapes.len(), 3);
        shapes.insert(id(9), vec![(QuestionKind::TrueFalse, 2)].into());
        assert_eq!(shapes.len(), 1);
        assert!(shapes.get(&id(9)).is_some() && shapes.get(&id(0)).is_none());
    }
}
