a  %{~ if on ~}  b  %{~ endif ~}  c
