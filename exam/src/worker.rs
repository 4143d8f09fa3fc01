//! Workers (从业人员): their role in the enterprise and the bureau's check of the record.

labelled_enum! {
    /// A worker's role, which decides the exam level and the paper's blueprint.
    WorkerRole {
        Principal = "principal", "主要负责人";
        SafetyManager = "safety_manager", "安全管理人员";
        OtherStaff = "other_staff", "其他从业人员";
    }
}

labelled_enum! {
    /// Whether a county/city bureau has checked the record as real (核对信息).
    Verification {
        Unverified = "unverified", "未核对";
        Verified = "verified", "已核对";
        Flagged = "flagged", "有疑问";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_code_or_chinese() {
        assert_eq!(WorkerRole::parse("主要负责人"), Ok(WorkerRole::Principal));
        assert_eq!(WorkerRole::parse(" 安全管理人员 "), Ok(WorkerRole::SafetyManager));
        assert_eq!(WorkerRole::parse("other_staff"), Ok(WorkerRole::OtherStaff));
        assert!(WorkerRole::parse("老板").is_err());
        assert_eq!(Verification::parse("flagged"), Ok(Verification::Flagged));
    }
}
