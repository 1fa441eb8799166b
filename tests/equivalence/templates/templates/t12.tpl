${ "a" ~}

${ "b" }
  %{~ if on ~}

  c
  %{~ endif ~}

