//! Kubernetes metadata from a container log's path, as kubelet lays the files out (no API server
//! needed): `/var/log/containers/<pod>_<namespace>_<container>-<container id>.log` (the symlinks) and
//! `/var/log/pods/<namespace>_<pod>_<pod uid>/<container>/<restart>.log` (the files they point to).

use std::path::Path;

/// What a container log's path says about its pod.
///
/// ```
/// use srekit::logs::PodInfo;
///
/// let info = PodInfo::from_path("/var/log/containers/web-7d4b9_shop_nginx-0123abcd.log".as_ref()).unwrap();
/// assert_eq!((info.namespace.as_str(), info.pod.as_str(), info.container.as_str()), ("shop", "web-7d4b9", "nginx"));
/// assert_eq!(info.container_id.as_deref(), Some("0123abcd"));
///
/// let info = PodInfo::from_path("/var/log/pods/shop_web-7d4b9_5f1c-42/nginx/0.log".as_ref()).unwrap();
/// assert_eq!((info.namespace.as_str(), info.pod_uid.as_deref(), info.container_id), ("shop", Some("5f1c-42"), None));
/// assert!(PodInfo::from_path("/var/log/syslog".as_ref()).is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodInfo {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod's name.
    pub pod: String,
    /// The container's name.
    pub container: String,
    /// The container's runtime id (from `/var/log/containers` names).
    pub container_id: Option<String>,
    /// The pod's uid (from `/var/log/pods` directories).
    pub pod_uid: Option<String>,
}

impl PodInfo {
    /// The metadata in `path`'s names, or `None` for a path laid out neither way.
    ///
    /// ```
    /// let info = srekit::logs::PodInfo::from_path("/var/log/pods/kube-system_coredns-5d78c_9a8b/coredns/1.log.20240501-100000".as_ref()).unwrap();
    /// assert_eq!(info.container, "coredns");
    /// ```
    pub fn from_path(path: &Path) -> Option<PodInfo> {
        let file = path.file_name()?.to_str()?;
        if let Some(stem) = file.strip_suffix(".log") {
            let mut parts = stem.splitn(3, '_');
            if let (Some(pod), Some(namespace), Some(rest)) = (parts.next(), parts.next(), parts.next()) {
                if let Some((container, id)) = rest.rsplit_once('-') {
                    if [pod, namespace, container, id].iter().all(|p| !p.is_empty())
                        && id.bytes().all(|b| b.is_ascii_hexdigit())
                    {
                        return Some(PodInfo {
                            namespace: namespace.to_owned(),
                            pod: pod.to_owned(),
                            container: container.to_owned(),
                            container_id: Some(id.to_owned()),
                            pod_uid: None,
                        });
                    }
                }
            }
        }
        let container_dir = path.parent()?;
        let container = container_dir.file_name()?.to_str()?;
        let pod_dir = container_dir.parent()?.file_name()?.to_str()?;
        let mut parts = pod_dir.splitn(3, '_');
        let (namespace, pod, uid) = (parts.next()?, parts.next()?, parts.next()?);
        let numbered =
            file.split('.').next().is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !numbered || [namespace, pod, uid, container].iter().any(|p| p.is_empty()) {
            return None;
        }
        Some(PodInfo {
            namespace: namespace.to_owned(),
            pod: pod.to_owned(),
            container: container.to_owned(),
            container_id: None,
            pod_uid: Some(uid.to_owned()),
        })
    }

    /// The metadata as record fields: `kubernetes.namespace`, `kubernetes.pod`, `kubernetes.container`,
    /// and `kubernetes.container_id` / `kubernetes.pod_uid` where the path has them.
    ///
    /// ```
    /// let info = srekit::logs::PodInfo::from_path("/var/log/containers/a_b_c-ff.log".as_ref()).unwrap();
    /// assert_eq!(info.fields()[0], ("kubernetes.namespace", "b".to_owned()));
    /// assert_eq!(info.fields().len(), 4);
    /// ```
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("kubernetes.namespace", self.namespace.clone()),
            ("kubernetes.pod", self.pod.clone()),
            ("kubernetes.container", self.container.clone()),
        ];
        if let Some(id) = &self.container_id {
            fields.push(("kubernetes.container_id", id.clone()));
        }
        if let Some(uid) = &self.pod_uid {
            fields.push(("kubernetes.pod_uid", uid.clone()));
        }
        fields
    }
}
