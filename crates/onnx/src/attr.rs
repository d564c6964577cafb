//! A node's context for errors and its attributes, read by name with their types checked;
//! an attribute that an operator's mapping does not know is refused by name.

use crate::error::{NodeRef, OnnxError};
use crate::proto::onnx::{AttributeProto, NodeProto};
use crate::tensor::{Tensor, decode_tensor};

/// ONNX `AttributeProto.AttributeType` codes.
mod kind {
    pub(super) const FLOAT: i32 = 1;
    pub(super) const INT: i32 = 2;
    pub(super) const STRING: i32 = 3;
    pub(super) const TENSOR: i32 = 4;
    pub(super) const FLOATS: i32 = 6;
    pub(super) const INTS: i32 = 7;
}

/// A node being mapped: its index in the file, the proto, and helpers for errors.
pub(crate) struct At<'a> {
    pub(crate) index: usize,
    pub(crate) node: &'a NodeProto,
}

impl<'a> At<'a> {
    pub(crate) fn new(index: usize, node: &'a NodeProto) -> Self {
        At { index, node }
    }

    pub(crate) fn op_type(&self) -> &str {
        self.node.op_type.as_deref().unwrap_or("")
    }

    pub(crate) fn name(&self) -> &str {
        self.node.name.as_deref().unwrap_or("")
    }

    /// The node's name, or `{op_type}_{index}` when the file gives none.
    pub(crate) fn label(&self) -> String {
        match self.name() {
            "" => format!("{}_{}", self.op_type(), self.index),
            n => n.to_string(),
        }
    }

    pub(crate) fn node_ref(&self) -> Box<NodeRef> {
        Box::new(NodeRef {
            index: self.index,
            name: self.name().to_string(),
            op_type: self.op_type().to_string(),
        })
    }

    /// [`OnnxError::Node`] with `reason`.
    pub(crate) fn err(&self, reason: impl Into<String>) -> OnnxError {
        OnnxError::Node {
            node: self.node_ref(),
            reason: reason.into(),
        }
    }

    /// [`OnnxError::Attribute`].
    pub(crate) fn attr_err(
        &self,
        attribute: &str,
        value: impl Into<String>,
        supported: impl Into<String>,
    ) -> OnnxError {
        OnnxError::Attribute {
            node: self.node_ref(),
            attribute: attribute.to_string(),
            value: value.into(),
            supported: supported.into(),
        }
    }

    /// Refuses any attribute not in `known`.
    pub(crate) fn known_attributes(&self, known: &[&str]) -> Result<(), OnnxError> {
        for a in &self.node.attribute {
            let name = a.name.as_deref().unwrap_or("");
            if a.ref_attr_name.is_some() {
                return Err(self.attr_err(
                    name,
                    "a reference to a function attribute",
                    "literal attributes",
                ));
            }
            if !known.contains(&name) {
                let supported = if known.is_empty() {
                    "no attributes".to_string()
                } else {
                    format!("the attributes {}", known.join(", "))
                };
                return Err(self.attr_err(name, "(present)", supported));
            }
        }
        Ok(())
    }

    fn get(&self, name: &str) -> Option<&'a AttributeProto> {
        self.node
            .attribute
            .iter()
            .find(|a| a.name.as_deref() == Some(name))
    }

    fn typed(
        &self,
        name: &str,
        want: i32,
        what: &str,
    ) -> Result<Option<&'a AttributeProto>, OnnxError> {
        match self.get(name) {
            None => Ok(None),
            Some(a) if a.r#type.unwrap_or(0) == want => Ok(Some(a)),
            Some(a) => Err(self.attr_err(
                name,
                format!("of attribute type {}", a.r#type.unwrap_or(0)),
                format!("a value of type {what}"),
            )),
        }
    }

    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, OnnxError> {
        Ok(self
            .typed(name, kind::INT, "int")?
            .map(|a| a.i.unwrap_or(0)))
    }

    pub(crate) fn float(&self, name: &str) -> Result<Option<f64>, OnnxError> {
        Ok(self
            .typed(name, kind::FLOAT, "float")?
            .map(|a| f64::from(a.f.unwrap_or(0.0))))
    }

    pub(crate) fn ints(&self, name: &str) -> Result<Option<Vec<i64>>, OnnxError> {
        Ok(self
            .typed(name, kind::INTS, "ints")?
            .map(|a| a.ints.clone()))
    }

    pub(crate) fn floats(&self, name: &str) -> Result<Option<Vec<f64>>, OnnxError> {
        Ok(self
            .typed(name, kind::FLOATS, "floats")?
            .map(|a| a.floats.iter().map(|&v| f64::from(v)).collect()))
    }

    pub(crate) fn string(&self, name: &str) -> Result<Option<String>, OnnxError> {
        match self.typed(name, kind::STRING, "string")? {
            None => Ok(None),
            Some(a) => String::from_utf8(a.s.clone().unwrap_or_default())
                .map(Some)
                .map_err(|_| self.attr_err(name, "(not UTF-8)", "a UTF-8 string")),
        }
    }

    pub(crate) fn tensor(&self, name: &str) -> Result<Option<Tensor>, OnnxError> {
        match self.typed(name, kind::TENSOR, "tensor")? {
            None => Ok(None),
            Some(a) => match &a.t {
                None => Err(self.attr_err(name, "(no tensor)", "a tensor")),
                Some(t) => decode_tensor(t, &self.label()).map(Some),
            },
        }
    }

    /// An int attribute with a default, which must be one of `allowed`.
    pub(crate) fn int_in(
        &self,
        name: &str,
        default: i64,
        allowed: &[i64],
    ) -> Result<i64, OnnxError> {
        let v = self.int(name)?.unwrap_or(default);
        if allowed.contains(&v) {
            Ok(v)
        } else {
            Err(self.attr_err(name, v.to_string(), format!("{allowed:?}")))
        }
    }
}
