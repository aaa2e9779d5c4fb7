//! Care providers (instruction 002 §6, "Vid pappersblankett" 9–10): the region itself, another
//! public provider (another region, a municipality), or a private provider on the region's
//! approved list. Whether the handler checks the signer's identity by phone depends on the
//! provider being outside the region **without a regional id** (§6.9), not on it being private.

/// A provider outside the region as kept on the admin's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// Another region, a municipality: may sign like the region's own units.
    Public,
    /// A private provider: may sign only while on the approved list (§6.10).
    Private,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 2] = [ProviderKind::Public, ProviderKind::Private];

    pub fn code(self) -> &'static str {
        match self {
            ProviderKind::Public => "public",
            ProviderKind::Private => "private",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProviderKind::Public => "Annan offentlig vårdgivare (annan region, kommun)",
            ProviderKind::Private => "Privat vårdgivare (godkänd)",
        }
    }

    pub fn parse(s: &str) -> Option<ProviderKind> {
        ProviderKind::ALL.into_iter().find(|k| k.code() == s.trim())
    }
}

/// Who the case's care provider is, as the checklist needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// The region's own care.
    Region,
    Outside {
        kind: ProviderKind,
        /// Its signers have the region's id (VGR-ID).
        regional_id: bool,
    },
}

impl Provider {
    /// Check 6: the signer's identity is verified by phone (§6.9).
    pub fn needs_identity_by_phone(self) -> bool {
        matches!(
            self,
            Provider::Outside {
                regional_id: false,
                ..
            }
        )
    }

    /// Check 7: the private provider is on the approved list (§6.10).
    pub fn needs_approval_check(self) -> bool {
        matches!(
            self,
            Provider::Outside {
                kind: ProviderKind::Private,
                ..
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert!(!Provider::Region.needs_identity_by_phone());
        assert!(!Provider::Region.needs_approval_check());
        let private_with_id = Provider::Outside {
            kind: ProviderKind::Private,
            regional_id: true,
        };
        assert!(!private_with_id.needs_identity_by_phone());
        assert!(private_with_id.needs_approval_check());
        let municipality = Provider::Outside {
            kind: ProviderKind::Public,
            regional_id: false,
        };
        assert!(municipality.needs_identity_by_phone());
        assert!(!municipality.needs_approval_check());
        for k in ProviderKind::ALL {
            assert_eq!(ProviderKind::parse(k.code()), Some(k));
        }
    }

    proptest! {
        /// Check 6 depends only on the regional id, check 7 only on being private.
        #[test]
        fn checks_follow_the_instruction(private in any::<bool>(), regional_id in any::<bool>()) {
            let kind = if private { ProviderKind::Private } else { ProviderKind::Public };
            let p = Provider::Outside { kind, regional_id };
            prop_assert_eq!(p.needs_identity_by_phone(), !regional_id);
            prop_assert_eq!(p.needs_approval_check(), private);
        }
    }
}
