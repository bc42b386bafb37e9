"""Names, identifiers and addresses shaped the way Kubernetes, container runtimes and clouds make them.

Every function takes the caller's random.Random so a seed fixes every name.
"""

import uuid

# Kubernetes' rand.String / SafeEncodeString alphabet: no vowels, no 0/1/3 (avoids words and look-alikes).
K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
HEX = "0123456789abcdef"
LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def pick(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def pod_suffix(rng):
    """The 5-character suffix of a ReplicaSet, DaemonSet or Job pod."""
    return pick(rng, K8S_ALPHABET, 5)


def template_hash(rng):
    """A pod-template-hash; its length varies with the encoded 32-bit FNV value."""
    return pick(rng, K8S_ALPHABET, rng.choice((8, 9, 10, 10, 10)))


def container_id(rng):
    """Falco reports the 12-character short container id."""
    return pick(rng, HEX, 12)


def hex_string(rng, n):
    return pick(rng, HEX, n)


def uuid4(rng):
    """A version-4 UUID from the seeded generator (uuid.uuid4() would read OS randomness)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def git_sha(rng, n=40):
    return hex_string(rng, n)


def semver(rng):
    return f"{rng.randint(0, 4)}.{rng.randint(0, 48)}.{rng.randint(0, 20)}"


def ephemeral_port(rng):
    """Linux default ip_local_port_range."""
    return rng.randint(32768, 60999)


def public_ip(rng):
    """An address outside RFC 1918, loopback, link-local and multicast, typical of VPS hosting."""
    first = rng.choice((5, 23, 31, 37, 45, 46, 51, 62, 77, 78, 80, 85, 89, 91, 92, 94, 103, 107,
                        138, 139, 141, 146, 149, 154, 157, 159, 162, 167, 176, 178, 185, 188,
                        193, 194, 195, 198, 204, 209, 212, 213, 217))
    return f"{first}.{rng.randint(1, 254)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def node_name(rng, provider, cluster, index, region, ip):
    """Node names as each managed Kubernetes flavour assigns them (EKS spells out the node's IP)."""
    if provider == "eks":
        return f"ip-{ip.replace('.', '-')}.{region}.compute.internal"
    if provider == "gke":
        pool = "default-pool" if index % 3 else "highmem-pool"
        return f"gke-{cluster}-{pool}-{hex_string(rng, 8)}-{pick(rng, LOWER_ALNUM, 4)}"
    if provider == "aks":
        return f"aks-nodepool{1 + index % 2}-{rng.randint(10000000, 99999999)}-vmss{index:06d}"
    return f"worker-{index:02d}.{cluster}.{region}"
