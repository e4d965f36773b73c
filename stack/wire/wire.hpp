// Everything in the wire layer: views over header bytes and validated reprs.
#pragma once

#include "stack/wire/arp.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/error.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/icmpv4.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/ipv4_addr.hpp"
#include "stack/wire/tcp.hpp"
#include "stack/wire/udp.hpp"
