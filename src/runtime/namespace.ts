/**
 * The containerd namespace the CRI plugin keeps Kubernetes images in. Its own module so that
 * command definitions can name it without loading the gRPC client.
 */
export const CRI_NAMESPACE = 'k8s.io';
