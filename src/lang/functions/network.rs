//! IP network functions: cidrhost, cidrnetmask, cidrsubnet, cidrsubnets, for IPv4 and IPv6.
//! Addresses are handled as integers of 32 or 128 bits.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{f, v, Args, Func};
use crate::lang::Value;

pub(super) const FUNCS: &[Func] = &[
    f("cidrhost", &["prefix", "hostnum"], cidrhost),
    f("cidrnetmask", &["prefix"], cidrnetmask),
    f("cidrsubnet", &["prefix", "newbits", "netnum"], cidrsubnet),
    v("cidrsubnets", &["prefix"], "newbits", cidrsubnets),
];

/// A network: its first address, prefix length and address width (32 or 128).
#[derive(Clone, Copy)]
struct Net {
    addr: u128,
    len: u32,
    bits: u32,
}

impl Net {
    fn size_bits(self) -> u32 {
        self.bits - self.len
    }

    fn mask(len: u32, bits: u32) -> u128 {
        let all = if bits == 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        };
        let host = if bits - len >= 128 {
            u128::MAX
        } else {
            (1u128 << (bits - len)) - 1
        };
        all & !host
    }

    fn show_addr(self, addr: u128) -> String {
        if self.bits == 32 {
            Ipv4Addr::from(addr as u32).to_string()
        } else {
            Ipv6Addr::from(addr).to_string()
        }
    }

    fn show(self) -> String {
        format!("{}/{}", self.show_addr(self.addr), self.len)
    }
}

fn parse_v4(s: &str) -> Option<u128> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut n = 0u128;
    for p in parts {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n << 8 | u128::from(p.parse::<u8>().ok()?);
    }
    Some(n)
}

/// Parses `addr/len`; host bits are cleared. IPv4 parts may have leading zeros (decimal).
fn parse_net(a: &Args, i: usize) -> Result<Net, String> {
    let text = a.str(i)?;
    let bad = || {
        a.fail(format!(
            "invalid CIDR expression: invalid CIDR address: {text}"
        ))
    };
    let (ip, len) = text.split_once('/').ok_or_else(bad)?;
    let (addr, bits) = match parse_v4(ip) {
        Some(n) => (n, 32),
        None => (u128::from(ip.parse::<Ipv6Addr>().map_err(|_| bad())?), 128),
    };
    let len: u32 = len.parse().map_err(|_| bad())?;
    if len > bits || len.to_string().len() != text.split_once('/').map_or(0, |(_, l)| l.len()) {
        return Err(bad());
    }
    Ok(Net {
        addr: addr & Net::mask(len, bits),
        len,
        bits,
    })
}

fn cidrhost(a: &Args) -> Result<Value, String> {
    let net = parse_net(a, 0)?;
    let host = a.num(1)?;
    let host = crate::lang::Number(host)
        .as_i64()
        .ok_or_else(|| a.fail("value must be a whole number"))?;
    let size_bits = net.size_bits();
    let fits = |h: u128| size_bits >= 128 || h < (1u128 << size_bits);
    let offset = if host >= 0 {
        host as u128
    } else if size_bits >= 128 {
        u128::MAX - (host.unsigned_abs() as u128) + 1
    } else {
        (1u128 << size_bits)
            .checked_sub(host.unsigned_abs() as u128)
            .unwrap_or(u128::MAX)
    };
    if !fits(offset) {
        return Err(a.fail(format!(
            "prefix of {} does not accommodate a host numbered {host}",
            net.len
        )));
    }
    Ok(net.show_addr(net.addr | offset).into())
}

fn cidrnetmask(a: &Args) -> Result<Value, String> {
    let net = parse_net(a, 0)?;
    if net.bits != 32 {
        return Err(a.fail(format!(
            "IPv6 addresses cannot have a netmask: {}",
            a.str(0)?
        )));
    }
    Ok(Ipv4Addr::from(Net::mask(net.len, 32) as u32)
        .to_string()
        .into())
}

fn cidrsubnet(a: &Args) -> Result<Value, String> {
    let net = parse_net(a, 0)?;
    let newbits = a.int(1)?;
    let netnum = a.int(2)?;
    let new_len = u32::try_from(newbits)
        .ok()
        .and_then(|n| n.checked_add(net.len))
        .filter(|l| *l <= net.bits);
    let Some(new_len) = new_len else {
        return Err(a.fail(format!(
            "insufficient address space to extend prefix of {} by {newbits}",
            net.len
        )));
    };
    let too_big = netnum < 0 || (newbits < 64 && netnum >= 1i64 << newbits);
    if too_big {
        return Err(a.fail(format!(
            "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
        )));
    }
    let shift = net.bits - new_len;
    let offset = if shift >= 128 {
        0
    } else {
        (netnum as u128) << shift
    };
    Ok(Net {
        addr: net.addr | offset,
        len: new_len,
        bits: net.bits,
    }
    .show()
    .into())
}

/// Allocates consecutive subnets, each aligned to its own size, as Terraform does.
fn cidrsubnets(a: &Args) -> Result<Value, String> {
    let net = parse_net(a, 0)?;
    let mut out = Vec::new();
    let end = net.addr.saturating_add(block(net.size_bits()));
    let mut next_free = net.addr;
    for i in 1..a.len() {
        let newbits = a.int(i)?;
        let len = u32::try_from(newbits)
            .ok()
            .and_then(|n| n.checked_add(net.len))
            .filter(|l| *l <= net.bits);
        let Some(len) = len.filter(|_| newbits > 0) else {
            return Err(a.err(
                i,
                format!(
                    "would extend prefix to {} bits, which is too long for an IPv{} address",
                    newbits + i64::from(net.len),
                    if net.bits == 32 { 4 } else { 6 }
                ),
            ));
        };
        let size = block(net.bits - len);
        // Round up to the subnet's own alignment.
        let start = next_free.checked_add(size - 1).map(|x| x & !(size - 1));
        match start {
            Some(s) if s < end => {
                out.push(Value::String(
                    Net {
                        addr: s,
                        len,
                        bits: net.bits,
                    }
                    .show(),
                ));
                next_free = s.saturating_add(size);
            }
            _ => {
                let prev = out
                    .last()
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                return Err(a.err(i, format!("not enough remaining address space for a subnet with a prefix of {len} bits after {prev}")));
            }
        }
    }
    Ok(Value::List(out))
}

/// The number of addresses in a block of `host_bits` host bits (saturating at 2^128 - 1).
fn block(host_bits: u32) -> u128 {
    if host_bits >= 128 {
        u128::MAX
    } else {
        1u128 << host_bits
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cases() {
        super::super::tests::check(&[
            (r#"cidrhost("10.0.0.0/24", 5)"#, r#""10.0.0.5""#),
            (r#"cidrhost("10.0.0.0/24", -1)"#, r#""10.0.0.255""#),
            (r#"cidrhost("010.0.0.0/24", 1)"#, r#""10.0.0.1""#),
            (r#"cidrhost("fd00::/64", 257)"#, r#""fd00::101""#),
            (
                r#"cidrhost("10.0.0.0/24", 256)"#,
                r#"!prefix of 24 does not accommodate a host numbered 256"#,
            ),
            (r#"cidrnetmask("10.0.0.0/12")"#, r#""255.240.0.0""#),
            (
                r#"cidrnetmask("fd00::/64")"#,
                r#"!IPv6 addresses cannot have a netmask"#,
            ),
            (r#"cidrsubnet("10.0.0.0/16", 8, 2)"#, r#""10.0.2.0/24""#),
            (r#"cidrsubnet("10.0.0.5/16", 8, 2)"#, r#""10.0.2.0/24""#),
            (
                r#"cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)"#,
                r#""fd00:fd12:3456:7800:a200::/72""#,
            ),
            (
                r#"cidrsubnet("10.0.0.0/16", 8, 256)"#,
                r#"!prefix extension of 8 does not accommodate a subnet numbered 256"#,
            ),
            (
                r#"cidrsubnet("10.0.0.0/30", 4, 0)"#,
                r#"!insufficient address space to extend prefix of 30 by 4"#,
            ),
            (
                r#"cidrsubnets("10.0.0.0/16", 4, 4, 8)"#,
                r#"["10.0.0.0/20","10.0.16.0/20","10.0.32.0/24"]"#,
            ),
            (
                r#"cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)"#,
                r#"["10.1.0.0/20","10.1.16.0/20","10.1.32.0/24","10.1.48.0/20"]"#,
            ),
            (
                r#"cidrsubnets("fd00::/56", 8, 16)"#,
                r#"["fd00::/64","fd00:0:0:1::/72"]"#,
            ),
            (
                r#"cidrsubnets("10.0.0.0/24", 1, 1, 1)"#,
                r#"!not enough remaining address space for a subnet with a prefix of 25 bits after 10.0.0.128/25"#,
            ),
            (r#"cidrsubnets("10.0.0.0/8")"#, r#"[]"#),
            (r#"cidrsubnet("0.0.0.0/0", 32, 5)"#, r#""0.0.0.5/32""#),
            (
                r#"cidrhost("10.0.0.0/33", 1)"#,
                r#"!Call to function "cidrhost" failed: invalid CIDR expression: invalid CIDR address: 10.0.0.0/33."#,
            ),
            (
                r#"cidrhost("10.0.0.0", 1)"#,
                r#"!invalid CIDR address: 10.0.0.0."#,
            ),
        ]);
    }
}
