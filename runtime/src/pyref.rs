//! Owned references to Python objects, released when dropped.
//!
//! Every new reference the runtime receives from the C API goes into a
//! [`PyRef`] at once, NULL checked on the way in, so each early return
//! releases what it holds and nothing is released twice. A reference
//! handed back to CPython leaves through [`PyRef::into_raw`].

use std::ptr::NonNull;

use pyo3_ffi as ffi;

/// A strong reference to a Python object. Made, used and dropped only with
/// the GIL held; `NonNull` keeps it on the thread that made it (neither
/// `Send` nor `Sync`).
pub(crate) struct PyRef(NonNull<ffi::PyObject>);

impl PyRef {
    /// Takes over a new reference; None for NULL (a failed call, whose
    /// Python exception stays set).
    ///
    /// # Safety
    /// GIL held; `object` is NULL or a new reference the caller owns.
    pub(crate) unsafe fn new(object: *mut ffi::PyObject) -> Option<PyRef> {
        NonNull::new(object).map(PyRef)
    }

    /// A new reference to a borrowed object; None for NULL.
    ///
    /// # Safety
    /// GIL held; `object` is NULL or a live object.
    pub(crate) unsafe fn borrowed(object: *mut ffi::PyObject) -> Option<PyRef> {
        let object = NonNull::new(object)?;
        ffi::Py_INCREF(object.as_ptr());
        Some(PyRef(object))
    }

    /// A new reference to None.
    ///
    /// # Safety
    /// GIL held.
    pub(crate) unsafe fn none() -> PyRef {
        // Py_None is a static object, never NULL.
        PyRef::borrowed(ffi::Py_None()).expect("Py_None is never NULL")
    }

    /// A new str; None with an exception set on failure.
    ///
    /// # Safety
    /// GIL held.
    pub(crate) unsafe fn str(text: &str) -> Option<PyRef> {
        PyRef::new(ffi::PyUnicode_FromStringAndSize(
            text.as_ptr().cast(),
            text.len() as ffi::Py_ssize_t,
        ))
    }

    /// A new bytes object; None with an exception set on failure.
    ///
    /// # Safety
    /// GIL held.
    pub(crate) unsafe fn bytes(data: &[u8]) -> Option<PyRef> {
        PyRef::new(ffi::PyBytes_FromStringAndSize(
            data.as_ptr().cast(),
            data.len() as ffi::Py_ssize_t,
        ))
    }

    /// A new int; None with an exception set on failure.
    ///
    /// # Safety
    /// GIL held.
    pub(crate) unsafe fn int(value: i64) -> Option<PyRef> {
        PyRef::new(ffi::PyLong_FromLongLong(value))
    }

    /// A new tuple of `items`; None with an exception set on failure.
    ///
    /// # Safety
    /// GIL held.
    pub(crate) unsafe fn tuple(items: Vec<PyRef>) -> Option<PyRef> {
        let tuple = PyRef::new(ffi::PyTuple_New(items.len() as ffi::Py_ssize_t))?;
        for (index, item) in items.into_iter().enumerate() {
            // PyTuple_SetItem steals the item's reference, even on failure,
            // which cannot happen for an index inside a new tuple.
            if ffi::PyTuple_SetItem(tuple.as_ptr(), index as ffi::Py_ssize_t, item.into_raw()) != 0
            {
                return None;
            }
        }
        Some(tuple)
    }

    /// A new list of `items`; None with an exception set on failure.
    ///
    /// # Safety
    /// GIL held.
    pub(crate) unsafe fn list(items: impl IntoIterator<Item = PyRef>) -> Option<PyRef> {
        let list = PyRef::new(ffi::PyList_New(0))?;
        for item in items {
            // PyList_Append takes a reference of its own; `item` drops ours.
            if ffi::PyList_Append(list.as_ptr(), item.as_ptr()) != 0 {
                return None;
            }
        }
        Some(list)
    }

    /// The object, still owned by this reference.
    pub(crate) fn as_ptr(&self) -> *mut ffi::PyObject {
        self.0.as_ptr()
    }

    /// Gives the reference away (to CPython, as a function's result).
    pub(crate) fn into_raw(self) -> *mut ffi::PyObject {
        let object = self.0.as_ptr();
        std::mem::forget(self);
        object
    }
}

impl Drop for PyRef {
    fn drop(&mut self) {
        // SAFETY: a PyRef owns one strong reference (see `new`), is made and
        // dropped with the GIL held, and cannot leave its thread.
        unsafe { ffi::Py_DECREF(self.0.as_ptr()) }
    }
}
