use shmpi::Op;
fn main() -> shmpi::Result<()> {
    let u = shmpi::init()?;
    let w = u.world();
    let (r, n) = (w.rank() as usize, w.size() as usize);
    for len in [0usize, 1, 10, 1000, 40_000, 300_000] {
        let mut b: Vec<f64> = if r == 0 { (0..len).map(|i| i as f64).collect() } else { vec![0.0; len] };
        w.bcast(&mut b[..], 0)?;
        assert!(b.iter().enumerate().all(|(i, x)| *x == i as f64), "bcast {len}");
        let mine: Vec<f64> = (0..len).map(|i| (i + r) as f64).collect();
        let mut all = vec![0.0; len * n];
        w.allgather(&mine, &mut all)?;
        for o in 0..n { for i in 0..len { assert_eq!(all[o * len + i], (i + o) as f64); } }
        let mut g = vec![0.0; if r == 1 % n { len * n } else { 0 }];
        w.gather(&mine, &mut g, (1 % n) as i32)?;
        if r == 1 % n { assert_eq!(g, all); }
        let mut s = vec![0.0; len];
        w.scatter(&all, &mut s, 0)?;
        assert_eq!(s, mine);
        let mut sum = vec![0.0; len];
        w.allreduce(&mine, &mut sum, &Op::sum())?;
        for i in 0..len { assert_eq!(sum[i], (n * i + n * (n - 1) / 2) as f64); }
        let mut red = vec![0.0; if r == 0 { len } else { 0 }];
        w.reduce(&mine, &mut red, &Op::max(), 0)?;
        if r == 0 { for i in 0..len { assert_eq!(red[i], (i + n - 1) as f64); } }
        let mut sc = vec![0.0; len];
        w.scan(&mine, &mut sc, &Op::sum())?;
        for i in 0..len { assert_eq!(sc[i], ((r + 1) * i + r * (r + 1) / 2) as f64); }
        let send: Vec<u32> = (0..len * n).map(|i| (r * 1_000_000 + i) as u32).collect();
        let mut recv = vec![0u32; len * n];
        w.alltoall(&send, &mut recv)?;
        for o in 0..n { for i in 0..len { assert_eq!(recv[o * len + i], (o * 1_000_000 + r * len + i) as u32); } }
        let mut rs = vec![0u32; len];
        w.reduce_scatter_block(&send, &mut rs, &Op::sum())?;
        for i in 0..len { let want: usize = (0..n).map(|o| o * 1_000_000 + r * len + i).sum(); assert_eq!(rs[i], want as u32); }
        w.barrier()?;
        // p2p big
        if n >= 2 {
            if r == 0 { w.send(&mine[..], 1, 5)?; }
            if r == 1 { let (v, st) = w.recv_vec::<f64>(0, 5)?; assert_eq!(st.count::<f64>(), len); assert!(v.iter().enumerate().all(|(i, x)| *x == i as f64)); }
        }
    }
    let d = w.dup()?;
    let h = w.split(Some((r % 2) as u32), -(r as i32))?.unwrap();
    let mut x = [0i32];
    h.allreduce(&[1], &mut x, &Op::sum())?;
    assert_eq!(x[0] as usize, (n + 1 - r % 2) / 2);
    d.barrier()?;
    let o = w.bcast_object(if r == 0 { Some(("abc".to_string(), vec![1, 2, 3])) } else { None }, 0)?;
    assert_eq!(o.1, vec![1, 2, 3]);
    let all = w.allgather_object(&format!("r{r}"))?;
    assert_eq!(all.len(), n);
    if r == 0 { println!("smoke ok n={n} cma={}", u.single_copy()); }
    Ok(())
}
