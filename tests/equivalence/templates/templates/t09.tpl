paths:
  %{~ for p in items ~}
  /${p}:
    get:
      operationId: get-${p}
  %{~ endfor ~}
done
