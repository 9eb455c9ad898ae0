//! What the chain's numbers are worth: an account's voting mana now, the reward shares
//! (rshares) a vote would cast, and their estimated value in HBD (SBD on Steem). Pure
//! functions over the chain's integers, following hived's vote evaluator (HF20 and later);
//! nothing here asks a node.
//!
//! The formulas, with `E` the effective vesting shares in the chain's integer unit (1 VESTS =
//! 10^6), `w` the weight in basis points (10000 = 100 %) and `R` the global property
//! `vote_power_reserve_rate` (10 on both chains):
//!
//! - `E = post_voting_power` when the node sends it, else
//!   `vesting_shares - delegated_vesting_shares + received_vesting_shares` ([`effective_vests`]).
//! - The maximum mana is `E`. Mana regenerates linearly from 0 to full in 5 days
//!   ([`MANA_REGENERATION_SECONDS`] = 432000 s): `mana = min(E, stored + E * elapsed / 432000)`
//!   with `stored` and `elapsed` from the account's `voting_manabar` (`current_mana`, seconds
//!   since `last_update_time`), integer division as hived's `manabar::regenerate_mana`
//!   ([`current_mana`]). The percent is `mana / E` ([`mana_basis_points`]).
//! - A vote spends `used = ceil(floor(mana * |w| * 86400 / 10000) / (R * 432000))`: with
//!   `R = 10`, `mana * |w| / 10000 / 50`, so a 100 % vote spends 2 % of the mana left (the
//!   "mana% x weight / 50" rule); its power is `mana% * |w| / 50`.
//! - Its reward shares are `rshares = max(0, used - 50_000_000)`: the vote dust threshold
//!   ([`VOTE_DUST_THRESHOLD`]) is taken off every vote since HF21 (before, smaller votes were
//!   refused). In the last 12 hours before the post's payout ([`UPVOTE_LOCKOUT_SECONDS`]) they
//!   shrink linearly to 0: `rshares * seconds_left / 43200` ([`vote_rshares`]).
//! - The value is the share of the reward pool those rshares claim, in dollars:
//!   `value = rshares / recent_claims * reward_balance * base / quote`, from the `post` reward
//!   fund and the median price `base` HBD for `quote` HIVE ([`vote_value`]). Hive's reward
//!   curve is linear since HF25, so claims equal rshares; Steem's convergent-linear curve is
//!   close to linear at a single vote's size, so there it is a little more of an estimate.
//!
//! It is an estimate either way: it is what the vote adds to the post's payout at today's pool
//! and price (author and curators together, before beneficiaries), and both move until payout.
//! hived 1.28 brings a "stable vote" hardfork (HF28) in which a vote spends a fixed
//! `E * |w| / 10000 / 50` whatever the mana left; where that is active, this module's value is
//! low by the factor `mana%` for accounts below full mana.

use std::fmt;

/// How long the voting mana takes to regenerate from empty to full: 5 days.
pub const MANA_REGENERATION_SECONDS: i64 = 5 * 24 * 60 * 60;

/// The reward shares taken off every vote (`HIVE_VOTE_DUST_THRESHOLD`, Steem's too).
pub const VOTE_DUST_THRESHOLD: i128 = 50_000_000;

/// `vote_power_reserve_rate` when the node did not send it: 10 on both chains.
pub const DEFAULT_VOTE_POWER_RESERVE_RATE: i64 = 10;

/// The last stretch before payout in which a vote's rshares shrink to 0: 12 hours.
pub const UPVOTE_LOCKOUT_SECONDS: i64 = 12 * 60 * 60;

/// A full vote's weight in basis points: 100.00 %.
pub const FULL_WEIGHT: i64 = 10_000;

/// How many decimals VESTS have: the chain's integer unit of vesting shares is 10^-6 VESTS.
pub const VESTS_DECIMALS: u32 = 6;

/// How long after creation a post pays out: 7 days.
pub const PAYOUT_WINDOW_SECONDS: i64 = 7 * 24 * 60 * 60;

/// An amount of an asset as the chain writes it (`1.234 HBD`, `12.345678 VESTS`): an integer
/// count of its smallest unit, how many decimals it has, and its symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// The amount in the asset's smallest unit (`1.234 HBD` is 1234).
    pub units: i128,
    /// How many decimals the asset has.
    pub decimals: u32,
    /// `HIVE`, `HBD`, `VESTS`, `STEEM`, `SBD`, ...
    pub symbol: String,
}

impl Asset {
    /// `units` of an asset with `decimals` decimals named `symbol`.
    pub fn new(units: i128, decimals: u32, symbol: &str) -> Self {
        Self {
            units,
            decimals,
            symbol: symbol.to_owned(),
        }
    }

    /// Reads the chain's form, `<amount> <SYMBOL>` (`0.000 HBD`, `-1.5 X`); `None` for
    /// anything else.
    pub fn parse(text: &str) -> Option<Asset> {
        let (amount, symbol) = text.trim().split_once(' ')?;
        let symbol = symbol.trim();
        if symbol.is_empty() || !symbol.bytes().all(|byte| byte.is_ascii_uppercase()) {
            return None;
        }
        let (negative, amount) = match amount.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, amount),
        };
        let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
        let is_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if whole.is_empty() || !is_digits(whole) || !is_digits(fraction) || fraction.len() > 18 {
            return None;
        }
        let decimals = u32::try_from(fraction.len()).ok()?;
        let whole: i128 = whole.parse().ok()?;
        let fraction: i128 = if fraction.is_empty() {
            0
        } else {
            fraction.parse().ok()?
        };
        let units = whole
            .checked_mul(10i128.checked_pow(decimals)?)?
            .checked_add(fraction)?;
        Some(Self::new(
            if negative { -units } else { units },
            decimals,
            symbol,
        ))
    }

    /// The amount in units of `decimals` decimals (more decimals: exact; fewer: truncated).
    pub fn units_at(&self, decimals: u32) -> Option<i128> {
        if decimals >= self.decimals {
            self.units
                .checked_mul(10i128.checked_pow(decimals - self.decimals)?)
        } else {
            Some(self.units / 10i128.checked_pow(self.decimals - decimals)?)
        }
    }

    /// Whether it is more than nothing.
    pub fn is_positive(&self) -> bool {
        self.units > 0
    }
}

impl fmt::Display for Asset {
    /// The chain's form: `2.790 HBD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.units < 0 { "-" } else { "" };
        let magnitude = self.units.unsigned_abs();
        if self.decimals == 0 {
            return write!(f, "{sign}{magnitude} {}", self.symbol);
        }
        let scale = 10u128.pow(self.decimals);
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            magnitude / scale,
            magnitude % scale,
            self.symbol,
            width = self.decimals as usize
        )
    }
}

/// The vesting shares an account votes with, in micro-VESTS: `vesting - delegated + received`
/// (never below 0). `None` when one of them is not a readable amount.
pub fn effective_vests(vesting: &str, delegated: &str, received: &str) -> Option<i128> {
    let micro = |text: &str| Asset::parse(text)?.units_at(VESTS_DECIMALS);
    let total = micro(vesting)? - micro(delegated)? + micro(received)?;
    Some(total.max(0))
}

/// The vesting shares of a `post_voting_power` the node sent, in micro-VESTS.
pub fn voting_vests(post_voting_power: &str) -> Option<i128> {
    Asset::parse(post_voting_power)?
        .units_at(VESTS_DECIMALS)
        .map(|vests| vests.max(0))
}

/// The mana at `now` of a manabar that held `stored` at `last_update` (Unix seconds), for a
/// maximum of `max_mana`: `min(max, stored + max * elapsed / 432000)`, never below 0.
pub fn current_mana(stored: i128, last_update: i64, max_mana: i128, now: i64) -> i128 {
    if max_mana <= 0 {
        return 0;
    }
    let elapsed = i128::from(now.saturating_sub(last_update).max(0));
    let regenerated = max_mana.saturating_mul(elapsed) / i128::from(MANA_REGENERATION_SECONDS);
    stored.max(0).saturating_add(regenerated).min(max_mana)
}

/// `mana` of `max_mana` in basis points (10000 = 100.00 %), rounded down; 0 without mana.
pub fn mana_basis_points(mana: i128, max_mana: i128) -> i64 {
    if max_mana <= 0 {
        return 0;
    }
    let points = mana.clamp(0, max_mana).saturating_mul(10_000) / max_mana;
    i64::try_from(points).unwrap_or(0)
}

/// The reward shares (always >= 0; the vote's sign is the weight's) a vote at `weight` basis
/// points casts with `mana` left, at `reserve_rate` (see the module doc), when the post pays
/// out in `seconds_left` seconds (`None`: not known, no lockout applied).
pub fn vote_rshares(mana: i128, weight: i64, reserve_rate: i64, seconds_left: Option<i64>) -> i128 {
    let weight = i128::from(weight.unsigned_abs().min(FULL_WEIGHT as u64));
    let denominator = i128::from(reserve_rate.max(1)) * i128::from(MANA_REGENERATION_SECONDS);
    let spent = mana.max(0).saturating_mul(weight).saturating_mul(86_400) / i128::from(FULL_WEIGHT);
    let used = (spent + denominator - 1) / denominator;
    let rshares = (used - VOTE_DUST_THRESHOLD).max(0);
    match seconds_left {
        Some(left) if left < UPVOTE_LOCKOUT_SECONDS => {
            rshares * i128::from(left.max(0)) / i128::from(UPVOTE_LOCKOUT_SECONDS)
        }
        _ => rshares,
    }
}

/// What `rshares` claim of a reward pool holding `reward_balance` (`800000.000 HIVE`) against
/// `recent_claims`, at the median price `base` (`0.250 HBD`) for `quote` (`1.000 HIVE`), in
/// `base`'s asset, rounded to its nearest unit. `None` when the pool or the price is empty, or
/// the numbers overflow.
pub fn vote_value(
    rshares: i128,
    reward_balance: &Asset,
    recent_claims: u128,
    base: &Asset,
    quote: &Asset,
) -> Option<Asset> {
    if recent_claims == 0 || quote.units <= 0 || base.units < 0 || reward_balance.units < 0 {
        return None;
    }
    // value (base units) = rshares * balance * base * 10^quote_decimals
    //                      / (claims * quote * 10^balance_decimals)
    let numerator = rshares
        .checked_mul(reward_balance.units)?
        .checked_mul(base.units)?
        .checked_mul(10i128.checked_pow(quote.decimals)?)?;
    let denominator = i128::try_from(recent_claims)
        .ok()?
        .checked_mul(quote.units)?
        .checked_mul(10i128.checked_pow(reward_balance.decimals)?)?;
    let rounded = numerator.checked_add(denominator / 2)? / denominator;
    Some(Asset::new(rounded, base.decimals, &base.symbol))
}

/// A chain time (`2026-01-01T00:00:00`, UTC; a trailing `Z` or fraction of a second is
/// accepted) in Unix seconds. `1969-12-31T23:59:59`, the chain's "never" (a paid-out post's
/// `cashout_time`), is -1.
pub fn parse_chain_time(text: &str) -> Option<i64> {
    let text = text.trim().trim_end_matches('Z');
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|time| time.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(text: &str) -> Asset {
        Asset::parse(text).unwrap_or_else(|| panic!("{text} parses"))
    }

    #[test]
    fn assets_read_and_write_the_chains_form() {
        assert_eq!(asset("1.234 HBD"), Asset::new(1234, 3, "HBD"));
        assert_eq!(asset("12.345678 VESTS"), Asset::new(12_345_678, 6, "VESTS"));
        assert_eq!(asset("-0.500 X"), Asset::new(-500, 3, "X"));
        assert_eq!(asset("7 TOKEN"), Asset::new(7, 0, "TOKEN"));
        for bad in [
            "",
            "1.234",
            "HBD",
            "1,5 HBD",
            "1.2.3 HBD",
            ".5 HBD",
            "1.5 hbd",
            "x HBD",
        ] {
            assert_eq!(Asset::parse(bad), None, "{bad:?} was read");
        }
        for text in [
            "0.000 HBD",
            "2.790 HBD",
            "12.345678 VESTS",
            "-0.001 SBD",
            "7 TOKEN",
        ] {
            assert_eq!(asset(text).to_string(), text);
        }
        assert_eq!(asset("1.5 VESTS").units_at(6), Some(1_500_000));
        assert_eq!(asset("1.234567 VESTS").units_at(3), Some(1234));
    }

    #[test]
    fn effective_vests_take_delegations_into_account() {
        // 1,500,000 owned - 600,000 delegated + 100,000 received = 1,000,000 VESTS = 10^12.
        let vests = effective_vests(
            "1500000.000000 VESTS",
            "600000.000000 VESTS",
            "100000.000000 VESTS",
        );
        assert_eq!(vests, Some(1_000_000_000_000));
        // More delegated than owned and received (a stale read) is 0, not negative.
        assert_eq!(
            effective_vests("1.000000 VESTS", "5.000000 VESTS", "0.000000 VESTS"),
            Some(0)
        );
        assert_eq!(
            effective_vests("many", "0.000000 VESTS", "0.000000 VESTS"),
            None
        );
        assert_eq!(voting_vests("123.456789 VESTS"), Some(123_456_789));
    }

    #[test]
    fn mana_regenerates_in_five_days_up_to_the_maximum() {
        let max = 1_000_000_000_000; // 10^12: 1,000,000 VESTS
        let t0 = 1_767_225_600; // 2026-01-01T00:00:00
                                // 60 % stored 12 hours ago: + 10^12 * 43200 / 432000 = 10^11 (10 %) = 70 %.
        let mana = current_mana(600_000_000_000, t0 - 43_200, max, t0);
        assert_eq!(mana, 700_000_000_000);
        assert_eq!(mana_basis_points(mana, max), 7000);
        // 5 days after being empty it is full, and it stays full.
        assert_eq!(current_mana(0, t0 - 432_000, max, t0), max);
        assert_eq!(current_mana(0, t0 - 10 * 432_000, max, t0), max);
        // More stored than the maximum (delegated away since) is capped.
        assert_eq!(current_mana(2 * max, t0, max, t0), max);
        // A last update in the future regenerates nothing.
        assert_eq!(current_mana(5, t0 + 60, max, t0), 5);
        // No vesting shares, no mana.
        assert_eq!(current_mana(5, t0, 0, t0), 0);
        assert_eq!(mana_basis_points(5, 0), 0);
        // 1/3 is 33.33 %, rounded down.
        assert_eq!(mana_basis_points(1, 3), 3333);
    }

    #[test]
    fn a_vote_spends_a_fiftieth_of_the_mana_at_full_weight() {
        // 70 % of 10^12: used = ceil(7*10^11 * 10000 * 86400 / 10000 / (10 * 432000))
        //                     = 7*10^11 / 50 = 1.4*10^10; minus the dust 5*10^7
        //                     = 13,950,000,000 rshares.
        let mana = 700_000_000_000;
        assert_eq!(vote_rshares(mana, 10_000, 10, None), 13_950_000_000);
        // A downvote casts as many (negative on chain).
        assert_eq!(vote_rshares(mana, -10_000, 10, None), 13_950_000_000);
        // 50 %: 7*10^9 - 5*10^7 = 6,950,000,000.
        assert_eq!(vote_rshares(mana, 5_000, 10, None), 6_950_000_000);
        // The rounding up of hived: 1 mana at 1 basis point spends 1, which is dust.
        assert_eq!(vote_rshares(1, 1, 10, None), 0);
        // A small account's vote is all dust: 10 VESTS (10^7 micro) at full mana spend
        // 2*10^5 < 5*10^7.
        assert_eq!(vote_rshares(10_000_000, 10_000, 10, None), 0);
        // Weight 0 casts nothing; weights beyond 100 % count as 100 %.
        assert_eq!(vote_rshares(mana, 0, 10, None), 0);
        assert_eq!(vote_rshares(mana, 20_000, 10, None), 13_950_000_000);
        // A missing reserve rate of 0 is taken as 1, not a division by zero.
        assert!(vote_rshares(mana, 10_000, 0, None) > 0);
    }

    #[test]
    fn votes_shrink_in_the_last_twelve_hours() {
        let mana = 700_000_000_000;
        // 6 hours left: half of 13,950,000,000.
        assert_eq!(vote_rshares(mana, 10_000, 10, Some(21_600)), 6_975_000_000);
        // More than 12 hours left: all of it.
        assert_eq!(vote_rshares(mana, 10_000, 10, Some(43_200)), 13_950_000_000);
        // Past payout: nothing.
        assert_eq!(vote_rshares(mana, 10_000, 10, Some(-5)), 0);
    }

    #[test]
    fn value_is_the_share_of_the_pool_at_the_median_price() {
        // 13,950,000,000 / 10^15 * 800,000 HIVE = 11.16 HIVE; * 0.250 HBD / 1.000 HIVE
        // = 2.790 HBD.
        let value = vote_value(
            13_950_000_000,
            &asset("800000.000 HIVE"),
            1_000_000_000_000_000,
            &asset("0.250 HBD"),
            &asset("1.000 HIVE"),
        );
        assert_eq!(
            value.map(|value| value.to_string()),
            Some("2.790 HBD".into())
        );
        // Steem's names; 6,950,000,000 / 10^15 * 800,000 = 5.56 STEEM * 0.2 = 1.112 SBD.
        let value = vote_value(
            6_950_000_000,
            &asset("800000.000 STEEM"),
            1_000_000_000_000_000,
            &asset("0.200 SBD"),
            &asset("1.000 STEEM"),
        );
        assert_eq!(
            value.map(|value| value.to_string()),
            Some("1.112 SBD".into())
        );
        // Rounded to the nearest milli-HBD: 1 rshare of a 10^15 pool is 0.000 HBD.
        let tiny = vote_value(
            1,
            &asset("800000.000 HIVE"),
            1_000_000_000_000_000,
            &asset("0.250 HBD"),
            &asset("1.000 HIVE"),
        );
        assert_eq!(tiny, Some(Asset::new(0, 3, "HBD")));
        // An empty pool or price has no value to give.
        let none = vote_value(
            5,
            &asset("1.000 HIVE"),
            0,
            &asset("0.250 HBD"),
            &asset("1.000 HIVE"),
        );
        assert_eq!(none, None);
        let none = vote_value(
            5,
            &asset("1.000 HIVE"),
            9,
            &asset("0.250 HBD"),
            &asset("0.000 HIVE"),
        );
        assert_eq!(none, None);
    }

    #[test]
    fn chain_times_read_as_unix_seconds() {
        assert_eq!(parse_chain_time("1970-01-01T00:00:00"), Some(0));
        assert_eq!(parse_chain_time("2026-01-01T00:00:00"), Some(1_767_225_600));
        assert_eq!(
            parse_chain_time("2026-01-08T12:30:15Z"),
            Some(1_767_875_415)
        );
        assert_eq!(
            parse_chain_time("2024-02-29T00:00:00.000"),
            Some(1_709_164_800)
        );
        assert_eq!(parse_chain_time("1969-12-31T23:59:59"), Some(-1));
        for bad in [
            "",
            "2026-01-01",
            "2026-13-01T00:00:00",
            "2026-01-01T24:00:00",
            "soon",
        ] {
            assert_eq!(parse_chain_time(bad), None, "{bad:?} was read");
        }
    }
}
