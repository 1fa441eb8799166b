//! An in-memory [`Objects`] for tests: conditional writes as a real backend makes them.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{Cond, Failed, Object, Objects};
use crate::state::error::Error;

#[derive(Debug, Default)]
pub struct Memory {
    objects: Mutex<BTreeMap<String, (Vec<u8>, u64)>>,
    next: Mutex<u64>,
}

impl Memory {
    fn holds(current: Option<&(Vec<u8>, u64)>, cond: Cond<'_>) -> bool {
        match (cond, current) {
            (Cond::Absent, None) => true,
            (Cond::Matches(v), Some((_, g))) => v == g.to_string(),
            _ => false,
        }
    }
}

impl Objects for Memory {
    fn describe(&self, key: &str) -> String {
        format!("memory://{key}")
    }

    fn get(&self, key: &str) -> Result<Option<Object>, Error> {
        let objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        Ok(objects.get(key).map(|(b, g)| Object {
            bytes: b.clone(),
            version: g.to_string(),
        }))
    }

    fn put(&self, key: &str, bytes: &[u8], cond: Cond<'_>) -> Result<String, Failed> {
        let mut objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        if !Memory::holds(objects.get(key), cond) {
            return Err(Failed::Conflict);
        }
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        *next += 1;
        objects.insert(key.to_owned(), (bytes.to_vec(), *next));
        Ok(next.to_string())
    }

    fn delete(&self, key: &str, cond: Cond<'_>) -> Result<(), Failed> {
        let mut objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        if !Memory::holds(objects.get(key), cond) {
            return Err(Failed::Conflict);
        }
        objects.remove(key);
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        Ok(objects
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
}
