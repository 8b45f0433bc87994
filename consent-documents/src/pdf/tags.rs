//! The document's logical structure, written as the PDF's tag tree.

use krilla::tagging::{Identifier, ListNumbering, TableHeaderScope, Tag, TagGroup, TagKind};

/// A node of the document's logical structure (the PDF's tag tree, for assistive technology).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Role {
    Section,
    Heading(u16),
    Para,
    List,
    ListItem,
    Label,
    ListBody,
    Table,
    Caption,
    Row,
    HeaderCell(TableHeaderScope),
    Cell,
    Figure(String),
}

pub(super) struct Node {
    pub(super) role: Role,
    pub(super) children: Vec<usize>,
    pub(super) leaves: Vec<Identifier>,
}

fn tag_kind(role: &Role) -> TagKind {
    match role {
        Role::Section => Tag::Section.into(),
        Role::Heading(level) => Tag::Hn(
            std::num::NonZeroU16::new(*level).unwrap_or(std::num::NonZeroU16::MIN),
            None,
        )
        .into(),
        Role::Para => Tag::P.into(),
        Role::List => Tag::L(ListNumbering::None).into(),
        Role::ListItem => Tag::LI.into(),
        Role::Label => Tag::Lbl.into(),
        Role::ListBody => Tag::LBody.into(),
        Role::Table => Tag::Table.into(),
        Role::Caption => Tag::Caption.into(),
        Role::Row => Tag::TR.into(),
        Role::HeaderCell(scope) => Tag::TH(*scope).into(),
        Role::Cell => Tag::TD.into(),
        Role::Figure(alt) => Tag::Figure(Some(alt.clone())).into(),
    }
}

/// The tag group of a node: its child nodes, then its content (a node has one or the other).
pub(super) fn tag_group(nodes: &mut [Node], index: usize) -> Option<TagGroup> {
    let node = nodes.get_mut(index)?;
    let role = node.role.clone();
    let children = std::mem::take(&mut node.children);
    let leaves = std::mem::take(&mut node.leaves);
    let mut group = TagGroup::new(tag_kind(&role));
    for child in children {
        if let Some(child) = tag_group(nodes, child) {
            group.push(child);
        }
    }
    for leaf in leaves {
        group.push(leaf);
    }
    Some(group)
}
